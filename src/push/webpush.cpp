// Web Push (RFC 8030) to the browser's push service: the subscription's endpoint, a VAPID
// authorization (RFC 8292) and the payload encrypted for the browser alone (RFC 8291), so the push
// service in between cannot read it.
#include "push/providers.hpp"

#include "common/crypto.hpp"

#include <boost/json/serialize.hpp>

namespace parley::push {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The Topic header (RFC 8030 §5.4): at most 32 characters of the base64url alphabet.
std::string topic_of(std::string_view collapse_id) {
  return base64url(sha256_hex(collapse_id).substr(0, 24));
}

class WebPush final : public Provider {
public:
  WebPush(asio::any_io_executor executor, const WebPushConfig& config, SigningKey key, std::string subject)
      : key_(std::move(key)), subject_(std::move(subject)),
        public_only_(!config.allow_private_endpoints),
        http_(executor, Http2ClientOptions{config.ca_file.string(), true, 64 * 1024, 10000,
                                           std::chrono::seconds(10)}) {}

  std::string_view name() const override { return "webpush"; }
  std::size_t connections_opened() const override { return http_.connections_opened(); }

  asio::awaitable<Delivery> send(Message m) override {
    const auto& r = *m.to;
    const auto& n = *m.notification;
    Subscription to{base64url_decode(r.p256dh).value_or(""), base64url_decode(r.auth).value_or("")};
    json::object payload = app_data(n);
    if (!m.text.title.empty()) payload["title"] = m.text.title;
    if (!m.text.body.empty()) payload["body"] = m.text.body;
    if (!n.collapse_id.empty()) payload["tag"] = n.collapse_id;
    HttpRequest req;
    req.url = r.token;
    req.public_addresses_only = public_only_;
    const auto ttl = std::chrono::duration_cast<std::chrono::seconds>(m.expires - std::chrono::system_clock::now());
    req.headers = {{"ttl", std::to_string(std::max<std::int64_t>(ttl.count(), 0))},
                   {"content-encoding", "aes128gcm"},
                   {"content-type", "application/octet-stream"},
                   {"urgency", n.tier == Tier::urgent ? "high" : n.tier == Tier::silent ? "very-low" : "normal"},
                   {"authorization", vapid_authorization(key_, r.token, subject_, std::chrono::system_clock::now())}};
    if (!n.collapse_id.empty()) req.headers.emplace_back("topic", topic_of(n.collapse_id));
    Delivery d;
    try {
      req.body = webpush_encrypt(json::serialize(payload), to);
    } catch (const std::exception& e) {
      d.reason = std::string("cannot encrypt for this subscription: ") + e.what();
      d.unregistered = true;
      co_return d;
    }
    auto res = co_await http_.send(std::move(req));
    d = delivery_of(res);
    if (!d.ok && res.status != 0) {
      d.reason = "HTTP " + std::to_string(res.status);
      d.unregistered = res.status == 404 || res.status == 410;
      d.retry = res.status == 429 || res.status >= 500;
      d.retry_after = retry_after_of(res);
    }
    co_return d;
  }

private:
  SigningKey key_;
  std::string subject_;
  bool public_only_;  // the endpoint is whatever the subscriber wrote: connect to public addresses only
  Http2Client http_;
};

}  // namespace

std::unique_ptr<Provider> make_webpush(asio::any_io_executor executor, const WebPushConfig& config,
                                       SigningKey vapid_key, std::string subject) {
  return std::make_unique<WebPush>(std::move(executor), config, std::move(vapid_key), std::move(subject));
}

}  // namespace parley::push
