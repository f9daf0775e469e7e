// Firebase Cloud Messaging, HTTP v1: POST /v1/projects/<project>/messages:send with an OAuth 2.0
// access token, which the service account obtains with an RS256 JWT assertion (RFC 7523) and
// which is kept until a minute before it expires. Data messages only: the app shows the
// notification, so that nothing the user did not allow passes through Google's display path.
#include "push/providers.hpp"

#include "common/log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <mutex>

namespace parley::push {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kScope = "https://www.googleapis.com/auth/firebase.messaging";

std::string form_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string field(const json::object& o, std::string_view key, const std::filesystem::path& file) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty())
    throw std::runtime_error("the FCM service account file " + file.string() + " has no \"" +
                             std::string(key) + "\"");
  return std::string(v->as_string());
}

class Fcm final : public Provider {
public:
  Fcm(asio::any_io_executor executor, const FcmConfig& config)
      : config_(config), http_(executor, Http2ClientOptions{config.ca_file.string(), true, 64 * 1024,
                                                            10000, std::chrono::seconds(10)}) {
    const std::string text = read_secret_file(config.service_account_file, "the FCM service account file");
    boost::system::error_code ec;
    const auto parsed = json::parse(text, ec);
    if (ec || !parsed.is_object())
      throw std::runtime_error("the FCM service account file " + config.service_account_file.string() +
                               " is not JSON");
    const auto& o = parsed.as_object();
    project_ = field(o, "project_id", config.service_account_file);
    client_email_ = field(o, "client_email", config.service_account_file);
    token_url_ = config.token_url.empty() ? field(o, "token_uri", config.service_account_file) : config.token_url;
    key_ = std::make_unique<SigningKey>(SigningKey::from_pem(field(o, "private_key", config.service_account_file)));
    if (!key_->is_rsa())
      throw std::runtime_error("the FCM service account's private_key is not an RSA key");
  }

  std::string_view name() const override { return "fcm"; }
  std::size_t connections_opened() const override { return http_.connections_opened(); }

  asio::awaitable<Delivery> send(Message m) override {
    Delivery d;
    // A refused access token (expired early, revoked) is fetched again once.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const auto token = co_await access_token();
      if (!token.ok) co_return token.failure;
      HttpRequest req;
      req.url = config_.url + "/v1/projects/" + project_ + "/messages:send";
      req.headers = {{"authorization", "Bearer " + token.value}, {"content-type", "application/json"}};
      req.body = json::serialize(body(m));
      auto res = co_await http_.send(std::move(req));
      d = outcome(res);
      if (res.status != 401) break;
      forget_token(token.value);
    }
    co_return d;
  }

private:
  struct Token {
    bool ok = false;
    std::string value;
    Delivery failure;
  };

  asio::awaitable<Token> access_token() {
    {
      std::lock_guard lock(mutex_);
      if (!token_.empty() && std::chrono::system_clock::now() < token_expires_) co_return Token{true, token_, {}};
    }
    const auto now = std::chrono::system_clock::now();
    const auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::string assertion = make_jwt(*key_, json::object{{"iss", client_email_},
                                                               {"scope", kScope},
                                                               {"aud", token_url_},
                                                               {"iat", iat},
                                                               {"exp", iat + 3600}});
    HttpRequest req;
    req.url = token_url_;
    req.headers = {{"content-type", "application/x-www-form-urlencoded"}};
    req.body = "grant_type=" + form_escape("urn:ietf:params:oauth:grant-type:jwt-bearer") +
               "&assertion=" + form_escape(assertion);
    auto res = co_await http_.send(std::move(req));
    Token t;
    t.failure.status = res.status;
    t.failure.latency = res.elapsed;
    boost::system::error_code ec;
    const auto parsed = json::parse(res.body, ec);
    const auto* o = !ec && parsed.is_object() ? &parsed.as_object() : nullptr;
    const auto* value = o ? o->if_contains("access_token") : nullptr;
    if (res.status != 200 || !value || !value->is_string()) {
      t.failure.retry = res.status == 0 || res.status == 429 || res.status >= 500;
      t.failure.reason = res.status == 0 ? res.error : "OAuth token: HTTP " + std::to_string(res.status);
      if (o)
        if (const auto* e = o->if_contains("error"); e && e->is_string())
          t.failure.reason = "OAuth token: " + std::string(e->as_string());
      logger("push")->warn("FCM: no access token from {}: {}", token_url_, t.failure.reason);
      co_return t;
    }
    std::int64_t lifetime = 3600;
    if (const auto* e = o->if_contains("expires_in"); e && e->is_int64()) lifetime = e->as_int64();
    std::lock_guard lock(mutex_);
    token_ = std::string(value->as_string());
    token_expires_ = now + std::chrono::seconds(std::max<std::int64_t>(lifetime - 60, 30));
    co_return Token{true, token_, {}};
  }

  void forget_token(const std::string& value) {
    std::lock_guard lock(mutex_);
    if (token_ == value) token_.clear();
  }

  json::object body(const Message& m) const {
    const auto& n = *m.notification;
    json::object data;
    for (const auto& [k, v] : app_data(n))  // FCM data values are strings
      data[k] = v.is_string() ? v : json::value(json::serialize(v));
    if (!m.text.title.empty()) data["title"] = m.text.title;
    if (!m.text.body.empty()) data["body"] = m.text.body;
    const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(m.expires - std::chrono::system_clock::now());
    json::object android{{"priority", n.tier == Tier::silent ? "NORMAL" : "HIGH"},
                         {"ttl", std::to_string(std::max<std::int64_t>(ttl.count(), 0)) + "s"}};
    if (!n.collapse_id.empty()) android["collapse_key"] = n.collapse_id;
    return json::object{{"message", json::object{{"token", m.to->token},
                                                 {"data", std::move(data)},
                                                 {"android", std::move(android)}}}};
  }

  static Delivery outcome(const HttpResponse& res) {
    Delivery d = delivery_of(res);
    if (d.ok || res.status == 0) return d;
    // {"error":{"code":404,"status":"NOT_FOUND","details":[{"errorCode":"UNREGISTERED"}]}}
    boost::system::error_code ec;
    const auto parsed = json::parse(res.body, ec);
    std::string status, code;
    if (!ec && parsed.is_object())
      if (const auto* e = parsed.as_object().if_contains("error"); e && e->is_object()) {
        if (const auto* s = e->as_object().if_contains("status"); s && s->is_string()) status = s->as_string();
        if (const auto* details = e->as_object().if_contains("details"); details && details->is_array())
          for (const auto& item : details->as_array())
            if (item.is_object())
              if (const auto* c = item.as_object().if_contains("errorCode"); c && c->is_string())
                code = c->as_string();
      }
    d.reason = !code.empty() ? code : !status.empty() ? status : "HTTP " + std::to_string(res.status);
    d.unregistered = code == "UNREGISTERED" || (res.status == 404 && code.empty());
    d.retry = !d.unregistered && (res.status == 429 || res.status >= 500);
    d.retry_after = retry_after_of(res);
    return d;
  }

  FcmConfig config_;
  std::string project_, client_email_, token_url_;
  std::unique_ptr<SigningKey> key_;
  Http2Client http_;
  std::mutex mutex_;
  std::string token_;
  std::chrono::system_clock::time_point token_expires_{};
};

}  // namespace

std::unique_ptr<Provider> make_fcm(asio::any_io_executor executor, const FcmConfig& config) {
  return std::make_unique<Fcm>(std::move(executor), config);
}

}  // namespace parley::push
