#pragma once
// The admin API v1 (docs/admin-api.md) as typed calls over an HttpClient: one method per
// endpoint, JSON in and out. Any answer other than the expected 2xx becomes a ServerError that
// carries the UCWA error body; failing to reach the server stays an HttpTransportError.

#include "cli/http_client.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::cli {

// The server answered with an error: {"code","subcode","message"} and its HTTP status. When the
// body is not in that shape, code is "HTTP <status>" and message holds the start of the body.
class ServerError : public std::runtime_error {
public:
  ServerError(long status, std::string code, std::string subcode, std::string message);
  long status() const noexcept { return status_; }
  const std::string& code() const noexcept { return code_; }
  const std::string& subcode() const noexcept { return subcode_; }

private:
  long status_;
  std::string code_;
  std::string subcode_;
};

// "<message> (<code>/<subcode>)", or "<message> (<code>)" without a subcode.
std::string format_api_error(std::string_view message, std::string_view code, std::string_view subcode);

// Builds the ServerError for a non-2xx answer.
ServerError server_error_from(const HttpResult& r);

struct UserListQuery {
  std::string after;             // sipUri to continue after; empty = from the start
  std::size_t limit = 100;       // 1..1000
  std::optional<bool> enabled;   // filter; nullopt = all users
};

class AdminClient {
public:
  explicit AdminClient(HttpClient& http) : http_(http) {}

  // One page: {"users":[...],"next":"<sipUri>"|null}.
  boost::json::object list_users(const UserListQuery& q);
  boost::json::object get_user(std::string_view sip_uri);
  boost::json::object create_user(const boost::json::object& fields);
  boost::json::object update_user(std::string_view sip_uri, const boost::json::object& patch);
  void set_password(std::string_view sip_uri, std::string_view password);
  void remove_user(std::string_view sip_uri);
  // {"results":[...]} for at most 500 rows.
  boost::json::object import_users(const boost::json::array& rows);

  static std::string user_path(std::string_view sip_uri);

private:
  boost::json::object call(std::string_view method, const std::string& path, const std::string* body,
                           long expected_status);

  HttpClient& http_;
};

}  // namespace parley::cli
