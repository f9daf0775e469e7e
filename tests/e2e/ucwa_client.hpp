#pragma once
// A small UCWA client for end-to-end tests: signs a user in through the web-ticket service,
// creates an application, and follows its links the way a real client does.

#include "harness.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace parley::e2e {

inline constexpr char kTestPassword[] = "correct horse battery";

// Adds a user with kTestPassword through the real CLI; extra CLI arguments such as
// {"--name", "Alice Example"} may follow.
void add_user(const Parleyd& server, const std::string& sip, std::vector<std::string> extra = {});
// A bearer token for the user ("cwt=...").
std::string sign_in(const Parleyd& server, const std::string& sip);

boost::json::value parse_json(const std::string& body);  // throws with the body on failure
// The error body's subcode ("" when none).
std::string subcode_of(const Reply& r);

class UcwaApp {
public:
  // Creates an application for `token` on the external site. `body` defaults to a browser app.
  UcwaApp(const Parleyd& server, std::string token, boost::json::object body = {});

  Reply get(const std::string& path, std::vector<std::string> headers = {}) const;
  Reply post(const std::string& path, const std::string& json_body = "",
             std::vector<std::string> headers = {}) const;
  Reply put(const std::string& path, const std::string& json_body,
            std::vector<std::string> headers = {}) const;
  Reply del(const std::string& path) const;

  // One P-GET of `events_path` (default: this app's events link with the current ack) and the
  // parsed package; moves the ack on when the package has `next`.
  Reply pget_raw(const std::string& query_suffix = "") const;
  boost::json::object pget(const std::string& query_suffix = "");

  // Every event of a package, flattened: {"sender": rel, "rel": link.rel, "type", "href", ...}.
  static std::vector<boost::json::object> events_of(const boost::json::object& package);

  void make_me_available(const std::string& body = "{}");

  const std::string& href() const { return href_; }       // "/ucwa/oauth/v1/applications/<id>"
  const std::string& id() const { return id_; }
  const boost::json::object& resource() const { return resource_; }
  const std::string& token() const { return token_; }
  long create_status() const { return create_status_; }
  std::string create_cookie;  // Set-Cookie of the creation response

  std::string events_path;  // current events href (with ack)

private:
  const Parleyd* server_;
  std::string token_;
  std::string href_, id_;
  boost::json::object resource_;
  long create_status_ = 0;
};

}  // namespace parley::e2e
