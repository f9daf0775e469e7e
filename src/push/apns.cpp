// Apple Push Notification service: HTTP/2 POST /3/device/<token> with a provider token (ES256
// JWT signed with the team's .p8 key; Apple refuses one older than an hour and one renewed more
// than every 20 minutes, so it is kept 40 minutes).
#include "push/providers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <mutex>
#include <sstream>

namespace parley::push {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr auto kTokenRenewal = 40min;

std::string read_file(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + std::string(what) + " " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

class Apns final : public Provider {
public:
  Apns(asio::any_io_executor executor, const ApnsConfig& config)
      : config_(config), key_(load_key(config)),
        http_(executor, Http2ClientOptions{config.ca_file.string(), true, 64 * 1024, 10000,
                                           std::chrono::seconds(10)}) {}

  std::string_view name() const override { return "apns"; }
  std::size_t connections_opened() const override { return http_.connections_opened(); }

  asio::awaitable<Delivery> send(Message m) override {
    const auto& r = *m.to;
    const auto& n = *m.notification;
    HttpRequest req;
    req.url = (r.environment == "development" ? config_.sandbox_url : config_.url) + "/3/device/" + r.token;
    std::string topic = r.app_id.empty() ? config_.topic : r.app_id;
    const bool voip = r.voip && n.tier == Tier::urgent;
    if (voip && !topic.ends_with(".voip")) topic += ".voip";
    const std::string push_type = voip ? "voip" : n.tier == Tier::silent ? "background" : "alert";
    req.headers = {{"authorization", "bearer " + provider_token()},
                   {"apns-topic", topic},
                   {"apns-push-type", push_type},
                   {"apns-priority", n.tier == Tier::silent ? "5" : "10"},
                   {"apns-expiration", std::to_string(unix_seconds(m.expires))},
                   {"content-type", "application/json"}};
    if (!n.collapse_id.empty() && !voip) req.headers.emplace_back("apns-collapse-id", n.collapse_id.substr(0, 64));
    req.body = json::serialize(payload(m, voip));
    auto res = co_await http_.send(std::move(req));
    co_return outcome(res);
  }

private:
  static SigningKey load_key(const ApnsConfig& config) {
    const std::string pem = read_file(config.key_file, "the APNs key");
    try {
      auto key = SigningKey::from_pem(pem);
      if (!key.is_p256()) throw std::runtime_error("it is not an EC P-256 key");
      return key;
    } catch (const std::exception& e) {
      throw std::runtime_error("the APNs key " + config.key_file.string() + " cannot be used: " + e.what());
    }
  }

  std::string provider_token() {
    std::lock_guard lock(token_mutex_);
    const auto now = std::chrono::system_clock::now();
    if (token_.empty() || now - token_made_ >= kTokenRenewal) {
      token_ = make_jwt(key_, json::object{{"iss", config_.team_id}, {"iat", unix_seconds(now)}},
                        config_.key_id);
      token_made_ = now;
    }
    return token_;
  }

  void forget_token() {
    std::lock_guard lock(token_mutex_);
    token_.clear();
  }

  static json::object payload(const Message& m, bool voip) {
    const auto& n = *m.notification;
    json::object o;
    json::object data = app_data(n);
    if (voip) {  // PushKit hands the whole payload to the app, which shows the call itself
      data["title"] = m.text.title;
      data["body"] = m.text.body;
      // APNs wants an aps dictionary in every payload ("PayloadEmpty" otherwise); empty here.
      o["aps"] = json::object{};
      o["parley"] = std::move(data);
      return o;
    }
    json::object aps;
    if (n.tier == Tier::silent) {
      aps["content-available"] = 1;
    } else {
      aps["alert"] = json::object{{"title", m.text.title}, {"body", m.text.body}};
      aps["sound"] = "default";
      if (!n.conversation.empty()) aps["thread-id"] = n.conversation;
      aps["category"] = n.kind == Kind::incoming_call ? "CALL"
                        : n.kind == Kind::missed_call ? "MISSED_CALL"
                                                      : "MESSAGE";
      if (n.tier == Tier::urgent) aps["interruption-level"] = "time-sensitive";
    }
    if (n.badge >= 0) aps["badge"] = n.badge;
    o["aps"] = std::move(aps);
    o["parley"] = std::move(data);
    return o;
  }

  Delivery outcome(const HttpResponse& res) {
    Delivery d = delivery_of(res);
    if (d.ok || res.status == 0) return d;
    boost::system::error_code ec;
    const auto body = json::parse(res.body, ec);
    if (!ec && body.is_object())
      if (const auto* reason = body.as_object().if_contains("reason"); reason && reason->is_string())
        d.reason = std::string(reason->as_string());
    if (d.reason.empty()) d.reason = "HTTP " + std::to_string(res.status);
    d.unregistered = res.status == 410 || d.reason == "BadDeviceToken" ||
                     d.reason == "DeviceTokenNotForTopic" || d.reason == "Unregistered";
    if (d.reason == "ExpiredProviderToken" || d.reason == "InvalidProviderToken") forget_token();
    // Parley never sends an empty payload: Apple saw none only because the body was lost on the
    // way (libcurl 7.88 can resend a stream that a GOAWAY cut off without its body), so that
    // answer is worth another try like a 5xx.
    d.retry = !d.unregistered && (res.status == 429 || res.status >= 500 || d.reason == "ExpiredProviderToken" ||
                                  d.reason == "PayloadEmpty");
    d.retry_after = retry_after_of(res);
    return d;
  }

  ApnsConfig config_;
  SigningKey key_;
  Http2Client http_;
  std::mutex token_mutex_;
  std::string token_;
  std::chrono::system_clock::time_point token_made_{};
};

}  // namespace

std::unique_ptr<Provider> make_apns(asio::any_io_executor executor, const ApnsConfig& config) {
  return std::make_unique<Apns>(std::move(executor), config);
}

std::string read_secret_file(const std::filesystem::path& path, std::string_view what) {
  return read_file(path, what);
}

}  // namespace parley::push
