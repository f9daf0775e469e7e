#pragma once
// The three push providers, each one long-lived HTTP/2 connection (Http2Client) with its own
// authentication: APNs (ES256 provider token from the .p8 key, renewed before Apple's 60 minutes),
// FCM HTTP v1 (OAuth 2.0 access token obtained with an RS256 service-account assertion, cached
// until it expires) and Web Push (RFC 8030 with VAPID, RFC 8292, and aes128gcm, RFC 8291).

#include "common/config.hpp"
#include "push/crypto.hpp"
#include "push/http2_client.hpp"
#include "push/notification.hpp"
#include "storage/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace parley::push {

// What one attempt came to.
struct Delivery {
  bool ok = false;
  long status = 0;                 // the provider's HTTP status; 0: no answer
  std::string reason;              // the provider's reason ("Unregistered", "UNREGISTERED", ...) or transport error
  bool retry = false;              // worth trying again later (429, 5xx, no answer)
  std::chrono::seconds retry_after{0};  // the provider's Retry-After, if it said
  bool unregistered = false;       // the token is dead: delete the registration
  std::chrono::microseconds latency{0};
};

// What a notification carries besides its text.
struct Message {
  const storage::PushRegistration* to = nullptr;
  const Notification* notification = nullptr;
  Text text;
  std::chrono::system_clock::time_point expires;  // the provider may drop it after this
};

class Provider {
public:
  virtual ~Provider() = default;
  virtual std::string_view name() const = 0;  // "apns" | "fcm" | "webpush"
  virtual boost::asio::awaitable<Delivery> send(Message m) = 0;
  virtual std::size_t connections_opened() const = 0;
};

// Each throws std::runtime_error (naming the file and what is wrong) when its key cannot be used.
std::unique_ptr<Provider> make_apns(boost::asio::any_io_executor executor, const ApnsConfig& config);
std::unique_ptr<Provider> make_fcm(boost::asio::any_io_executor executor, const FcmConfig& config);
std::unique_ptr<Provider> make_webpush(boost::asio::any_io_executor executor,
                                       const WebPushConfig& config, SigningKey vapid_key,
                                       std::string subject);

// A key or credentials file; std::runtime_error naming it when it cannot be read.
std::string read_secret_file(const std::filesystem::path& path, std::string_view what);

// What every provider reads alike in an answer: its status and latency; no answer at all (status
// 0: refused connection, timeout, a stream cut by GOAWAY) is worth a retry; any 2xx is delivered.
// The provider fills in the rest for other statuses.
Delivery delivery_of(const HttpResponse& res);
// The Retry-After header in seconds (0 when absent or not a number of seconds).
std::chrono::seconds retry_after_of(const HttpResponse& res);

// The JSON every provider carries for the app: kind, conversation, from, badge (when known).
boost::json::object app_data(const Notification& n);

// Registration checks shared by the API and the providers: an APNs token is 64..200 hex digits;
// an FCM token 1..4096 printable characters; a Web Push endpoint an https:// URL of at most 2048
// characters whose host is not a literal loopback/private/link-local address unless
// `allow_private` (tests); p256dh a P-256 point and auth 16 bytes (both base64url). Returns the
// problem in words, empty when fine.
std::string check_registration(const storage::PushRegistration& r, bool allow_private);

}  // namespace parley::push
