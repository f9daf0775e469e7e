#include "cli/admin_client.hpp"

#include "cli/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::cli {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::size_t kMaxQuotedBody = 200;

const HttpHeaders& accept_json() {
  static const HttpHeaders h{{"Accept", "application/json"}};
  return h;
}

std::string string_member(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

ServerError::ServerError(long status, std::string code, std::string subcode, std::string message)
    : std::runtime_error(std::move(message)), status_(status), code_(std::move(code)),
      subcode_(std::move(subcode)) {}

std::string format_api_error(std::string_view message, std::string_view code, std::string_view subcode) {
  std::string out(message);
  out += " (";
  out += code;
  if (!subcode.empty()) {
    out += '/';
    out += subcode;
  }
  out += ')';
  return out;
}

ServerError server_error_from(const HttpResult& r) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(r.body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    auto code = string_member(o, "code");
    if (!code.empty())
      return ServerError(r.status, std::move(code), string_member(o, "subcode"), string_member(o, "message"));
  }
  std::string excerpt = printable(trim(std::string_view(r.body).substr(0, kMaxQuotedBody)));
  if (excerpt.empty()) excerpt = "the server answered HTTP " + std::to_string(r.status) + " with no error body";
  return ServerError(r.status, "HTTP " + std::to_string(r.status), "", excerpt);
}

std::string AdminClient::user_path(std::string_view sip_uri) {
  return "/admin/v1/users/" + url_encode_component(sip_uri);
}

boost::json::object AdminClient::call(std::string_view method, const std::string& path,
                                      const std::string* body, long expected_status) {
  const HttpResult r = body ? http_.request(method, path, *body, kJson, accept_json())
                            : http_.request(method, path, {}, {}, accept_json());
  if (r.status != expected_status) throw server_error_from(r);
  if (expected_status == 204) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object())
    throw ServerError(r.status, "InvalidResponse", "",
                      "the server's answer to " + std::string(method) + " " + path + " is not a JSON object");
  return std::move(v.as_object());
}

boost::json::object AdminClient::list_users(const UserListQuery& q) {
  std::string path = "/admin/v1/users?limit=" + std::to_string(q.limit);
  if (!q.after.empty()) path += "&after=" + url_encode_component(q.after);
  if (q.enabled) path += *q.enabled ? "&enabled=true" : "&enabled=false";
  auto page = call("GET", path, nullptr, 200);
  const auto* users = page.if_contains("users");
  if (!users || !users->is_array())
    throw ServerError(200, "InvalidResponse", "", "the server's user list has no \"users\" array");
  return page;
}

boost::json::object AdminClient::get_user(std::string_view sip_uri) {
  return call("GET", user_path(sip_uri), nullptr, 200);
}

boost::json::object AdminClient::create_user(const boost::json::object& fields) {
  std::string body = boost::json::serialize(fields);
  const WipeOnExit guard(body);  // it may hold the password
  return call("POST", "/admin/v1/users", &body, 201);
}

boost::json::object AdminClient::update_user(std::string_view sip_uri, const boost::json::object& patch) {
  const std::string body = boost::json::serialize(patch);
  return call("PATCH", user_path(sip_uri), &body, 200);
}

void AdminClient::set_password(std::string_view sip_uri, std::string_view password) {
  boost::json::object o;
  o["password"] = password;
  std::string body = boost::json::serialize(o);
  const WipeOnExit guard(body);
  call("PUT", user_path(sip_uri) + "/password", &body, 204);
}

void AdminClient::remove_user(std::string_view sip_uri) {
  call("DELETE", user_path(sip_uri), nullptr, 204);
}

boost::json::object AdminClient::import_users(const boost::json::array& rows) {
  boost::json::object o;
  o["users"] = rows;
  std::string body = boost::json::serialize(o);
  const WipeOnExit guard(body);
  auto answer = call("POST", "/admin/v1/users/import", &body, 200);
  const auto* results = answer.if_contains("results");
  if (!results || !results->is_array())
    throw ServerError(200, "InvalidResponse", "", "the server's import answer has no \"results\" array");
  return answer;
}

}  // namespace parley::cli
