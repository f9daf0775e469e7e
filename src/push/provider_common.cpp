// What the three providers share: the app's data and the registration checks.
#include "push/providers.hpp"

#include "push/address_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace parley::push {

namespace json = boost::json;

json::object app_data(const Notification& n) {
  json::object o;
  o["kind"] = to_string(n.kind);
  if (!n.conversation.empty()) o["conversation"] = n.conversation;
  if (!n.from.empty()) o["from"] = "sip:" + n.from;
  if (n.badge >= 0) o["badge"] = n.badge;
  if (n.kind == Kind::incoming_call) o["video"] = n.video;
  return o;
}

Delivery delivery_of(const HttpResponse& res) {
  Delivery d;
  d.status = res.status;
  d.latency = res.elapsed;
  if (res.status == 0) {
    d.reason = res.error;
    d.retry = !res.address_refused;  // the same name will resolve the same way in a minute
  } else if (res.status >= 200 && res.status < 300) {
    d.ok = true;
  }
  return d;
}

std::chrono::seconds retry_after_of(const HttpResponse& res) {
  const std::string after = res.header("retry-after");
  if (after.empty() || after.size() > 9 ||
      !std::all_of(after.begin(), after.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::chrono::seconds(0);
  return std::chrono::seconds(std::stol(after));
}

namespace {

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// Whether `host` (as written in a URL: a name, an IPv4 literal or a bracketed IPv6 literal) is
// the machine itself or a private network. A name is judged again by the address it resolves to
// when the request connects (HttpRequest::public_addresses_only).
bool private_host(std::string host) {
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!host.empty() && host.back() == '.') host.pop_back();  // "localhost." is localhost
  if (host == "localhost" || host.ends_with(".localhost") || host.ends_with(".local") ||
      host.ends_with(".internal"))
    return true;
  std::array<unsigned char, 16> a{};
  if (inet_pton(AF_INET, host.c_str(), a.data()) == 1) return private_address(a.data(), 4);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    const std::string inner = host.substr(1, host.size() - 2);
    if (inet_pton(AF_INET6, inner.c_str(), a.data()) != 1) return true;  // unparsable: refuse
    return private_address(a.data(), 16);
  }
  return false;
}

}  // namespace

std::string check_registration(const storage::PushRegistration& r, bool allow_private) {
  if (r.provider == "apns") {
    if (r.token.size() < 64 || r.token.size() > 200 ||
        !std::all_of(r.token.begin(), r.token.end(), [](unsigned char c) { return std::isxdigit(c); }))
      return "an APNs device token is 64 to 200 hexadecimal digits";
    return {};
  }
  if (r.provider == "fcm") {
    if (r.token.empty() || r.token.size() > 4096 || !printable(r.token))
      return "an FCM registration token is 1 to 4096 printable characters";
    return {};
  }
  if (r.provider != "webpush") return "provider must be apns, fcm or webpush";
  const std::string& url = r.token;
  if (url.size() > 2048 || !url.starts_with("https://") || !printable(url))
    return "a Web Push subscription's endpoint is an https:// URL of at most 2048 characters";
  std::string authority = url.substr(8, url.find_first_of("/?#", 8) - 8);
  if (authority.empty() || authority.find('@') != std::string::npos)
    return "the Web Push endpoint has no usable host";
  std::string host = authority;
  if (host.front() == '[') host = host.substr(0, host.find(']') + 1);
  else host = host.substr(0, host.find(':'));
  if (!allow_private && private_host(host))
    return "the Web Push endpoint points at a private or loopback address, which this server does "
           "not post to";
  const auto p256dh = base64url_decode(r.p256dh);
  if (!p256dh || p256dh->size() != 65 || (*p256dh)[0] != 0x04)
    return "keys.p256dh must be the subscription's P-256 public key (65 bytes, base64url)";
  try {
    (void)SigningKey::generate_p256().derive(*p256dh);
  } catch (const std::exception&) {
    return "keys.p256dh is not a point on the P-256 curve";
  }
  const auto auth = base64url_decode(r.auth);
  if (!auth || auth->size() != 16) return "keys.auth must be 16 bytes, base64url";
  return {};
}

}  // namespace parley::push
