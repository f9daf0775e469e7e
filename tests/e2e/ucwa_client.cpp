#include "ucwa_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <stdexcept>

namespace parley::e2e {

namespace json = boost::json;

namespace {
constexpr char kJson[] = "Content-Type: application/json";

std::string form_encode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out.push_back(static_cast<char>(c));
    else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}
}  // namespace

void add_user(const Parleyd& server, const std::string& sip, std::vector<std::string> extra) {
  std::vector<std::string> argv{parley_binary(), "--data-dir", server.data_dir().string(), "user",
                                "add", sip, "--password-stdin"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const auto r = run_command(argv, std::string(kTestPassword) + "\n");
  if (r.exit_code != 0) throw std::runtime_error("parley user add failed: " + r.out + r.err);
}

std::string sign_in(const Parleyd& server, const std::string& sip) {
  const auto r = http_request("POST", server.external_https + "/WebTicket/oauthtoken", server.ca_file(),
                              "grant_type=password&username=" + form_encode(sip) +
                                  "&password=" + form_encode(kTestPassword),
                              "", {"Content-Type: application/x-www-form-urlencoded"});
  if (r.status != 200) throw std::runtime_error("sign-in failed: " + r.body);
  return std::string(parse_json(r.body).at("access_token").as_string());
}

json::value parse_json(const std::string& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec) throw std::runtime_error("not JSON: " + body);
  return v;
}

std::string subcode_of(const Reply& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return "(not JSON: " + r.body + ")";
  const auto* s = v.as_object().if_contains("subcode");
  return s && s->is_string() ? std::string(s->as_string()) : "";
}

UcwaApp::UcwaApp(const Parleyd& server, std::string token, json::object body)
    : server_(&server), token_(std::move(token)) {
  if (body.empty()) {
    body["culture"] = "en-US";
    body["endpointId"] = "endpoint-" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
    body["userAgent"] = "Parley e2e";
    body["type"] = "Browser";
  }
  const auto r = http_request("POST", server.external_https + "/ucwa/oauth/v1/applications",
                              server.ca_file(), json::serialize(body), token_, {kJson});
  create_status_ = r.status;
  create_cookie = r.header("Set-Cookie");
  if (r.status != 201 && r.status != 200)
    throw std::runtime_error("application create failed: " + std::to_string(r.status) + " " + r.body);
  resource_ = parse_json(r.body).as_object();
  href_ = std::string(resource_.at("_links").at("self").at("href").as_string());
  id_ = std::string(resource_.at("id").as_string());
  events_path = std::string(resource_.at("_links").at("events").at("href").as_string());
}

Reply UcwaApp::get(const std::string& path, std::vector<std::string> headers) const {
  return http_request("GET", server_->external_https + path, server_->ca_file(), "", token_, headers);
}

Reply UcwaApp::post(const std::string& path, const std::string& json_body,
                    std::vector<std::string> headers) const {
  if (headers.empty()) headers.push_back(kJson);
  return http_request("POST", server_->external_https + path, server_->ca_file(), json_body, token_, headers);
}

Reply UcwaApp::put(const std::string& path, const std::string& json_body,
                   std::vector<std::string> headers) const {
  headers.push_back(kJson);
  return http_request("PUT", server_->external_https + path, server_->ca_file(), json_body, token_, headers);
}

Reply UcwaApp::del(const std::string& path) const {
  return http_request("DELETE", server_->external_https + path, server_->ca_file(), "", token_);
}

Reply UcwaApp::pget_raw(const std::string& query_suffix) const {
  return get(events_path + query_suffix);
}

json::object UcwaApp::pget(const std::string& query_suffix) {
  const auto r = pget_raw(query_suffix);
  if (r.status != 200) throw std::runtime_error("P-GET failed: " + std::to_string(r.status) + " " + r.body);
  auto package = parse_json(r.body).as_object();
  const auto& links = package.at("_links").as_object();
  if (const auto* next = links.if_contains("next"))
    events_path = std::string(next->at("href").as_string());
  return package;
}

std::vector<json::object> UcwaApp::events_of(const json::object& package) {
  std::vector<json::object> out;
  const auto* senders = package.if_contains("sender");
  if (!senders) return out;
  for (const auto& s : senders->as_array()) {
    for (const auto& e : s.at("events").as_array()) {
      json::object flat = e.as_object();
      flat["sender"] = s.at("rel");
      flat["rel"] = e.at("link").at("rel");
      flat["href"] = e.at("link").at("href");
      out.push_back(std::move(flat));
    }
  }
  return out;
}

void UcwaApp::make_me_available(const std::string& body) {
  const auto r = post(href_ + "/me/makeMeAvailable", body);
  if (r.status != 204) throw std::runtime_error("makeMeAvailable failed: " + r.body);
}

}  // namespace parley::e2e
