// STUN/TURN request handling for one shard (RFC 8489, RFC 8656, RFC 6062): authentication,
// Allocate, Refresh, CreatePermission, ChannelBind, Send, Connect, ConnectionBind.
//
// Decisions worth knowing:
//  - Nonces carry their own timestamp and an HMAC with a per-process key, so no nonce state is
//    kept; a nonce older than nonce_lifetime_seconds (or forged) gets 438 Stale Nonce.
//  - Nonces start with the RFC 8489 cookie advertising the password-algorithms and
//    username-anonymity features. A client that names no PASSWORD-ALGORITHM gets MD5 (RFC 5389
//    clients); we do not insist that PASSWORD-ALGORITHMS is echoed back.
//  - USERHASH is matched against the static users only: a time-limited name cannot be recovered
//    from its hash (it embeds an expiry we cannot guess), so such a request gets 401.
//  - Unknown comprehension-required attributes are checked after authentication (RFC 8489
//    §6.3.1 orders the checks that way) and answered 420 with UNKNOWN-ATTRIBUTES.
//  - DONT-FRAGMENT in an Allocate is honoured: the relay socket gets IP_PMTUDISC_DO (IPv4) or
//    IPV6_DONTFRAG. A DONT-FRAGMENT on a single Send indication is not applied per packet (it
//    would cost a setsockopt per datagram); allocations that want DF ask for it at Allocate.

#include "relay/edge_internal.hpp"

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <unistd.h>

namespace parley::relay::detail {
namespace {

using stun::Class;
using stun::Method;
namespace attr = stun::attr;
namespace err = stun::error;

constexpr std::string_view kNonceCookie = "obMatJos2";
// Security feature bits (RFC 8489 §18.5): password algorithms + username anonymity, base64.
constexpr std::string_view kNonceFeatures = "wAAA";
constexpr std::size_t kNonceSize = 9 + 4 + 16 + 32;

void hex(const std::uint8_t* in, std::size_t n, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[in[i] >> 4];
    out[2 * i + 1] = kDigits[in[i] & 15];
  }
}

std::array<char, kNonceSize> make_nonce(const std::array<std::uint8_t, 32>& key,
                                        std::uint64_t seconds) {
  std::array<char, kNonceSize> out{};
  std::memcpy(out.data(), kNonceCookie.data(), 9);
  std::memcpy(out.data() + 9, kNonceFeatures.data(), 4);
  std::array<std::uint8_t, 8> ts{};
  for (int i = 0; i < 8; ++i) ts[i] = static_cast<std::uint8_t>(seconds >> (56 - 8 * i));
  hex(ts.data(), 8, out.data() + 13);
  std::array<std::uint8_t, 32> mac{};
  unsigned mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), ts.data(), ts.size(), mac.data(),
       &mac_len);
  hex(mac.data(), 16, out.data() + 29);
  return out;
}

std::uint64_t unix_now() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Valid when it is one of ours and not older than the configured lifetime.
bool nonce_fresh(const Shared& s, std::string_view nonce) {
  if (nonce.size() != kNonceSize) return false;
  std::uint64_t seconds = 0;
  for (std::size_t i = 13; i < 29; ++i) {
    const char c = nonce[i];
    const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    seconds = seconds << 4 | static_cast<std::uint64_t>(v);
  }
  const auto expected = make_nonce(s.nonce_key, seconds);
  // CRYPTO_memcmp is not needed for a MAC that only gates freshness, but is cheap.
  if (CRYPTO_memcmp(expected.data(), nonce.data(), kNonceSize) != 0) return false;
  const auto now = unix_now();
  return seconds <= now && now - seconds < s.options.config.nonce_lifetime_seconds;
}

std::uint32_t clamp_lifetime(const EdgeConfig& c, std::optional<std::uint32_t> requested) {
  const std::uint32_t def = c.default_lifetime_seconds;
  const std::uint32_t max = std::max<std::uint32_t>(c.max_lifetime_seconds, def);
  if (!requested) return def;
  return std::clamp<std::uint32_t>(*requested, def, max);
}

std::optional<std::uint32_t> lifetime_of(const stun::MessageView& m) {
  if (auto a = m.find(attr::lifetime)) return stun::decode_u32(*a);
  return std::nullopt;
}

}  // namespace

std::optional<std::uint16_t> channel_number(const stun::Attribute& a) {
  if (a.value.size() != 4) return std::nullopt;
  const std::uint16_t n = static_cast<std::uint16_t>(a.value[0] << 8 | a.value[1]);
  if (n < stun::kMinChannel || n > kMaxLegacyChannel) return std::nullopt;
  return n;
}

std::optional<stun::ChannelData> parse_channel(stun::Bytes bytes) {
  if (bytes.size() < stun::kChannelDataHeaderSize) return std::nullopt;
  const std::uint16_t n = static_cast<std::uint16_t>(bytes[0] << 8 | bytes[1]);
  if (n < stun::kMinChannel || n > kMaxLegacyChannel) return std::nullopt;
  const std::size_t length = static_cast<std::size_t>(bytes[2] << 8 | bytes[3]);
  const std::size_t end = stun::kChannelDataHeaderSize + length;
  if (bytes.size() < end || bytes.size() > (end + 3) / 4 * 4) return std::nullopt;
  return stun::ChannelData{n, bytes.subspan(stun::kChannelDataHeaderSize, length)};
}

std::optional<std::size_t> frame_size(stun::Bytes buffered) {
  if (buffered.size() >= 4 && buffered[0] >= 0x40 && buffered[0] <= 0x7F) {
    const std::size_t length = static_cast<std::size_t>(buffered[2] << 8 | buffered[3]);
    return (stun::kChannelDataHeaderSize + length + 3) / 4 * 4;
  }
  return stun::stream_frame_size(buffered);
}

// --- replies ------------------------------------------------------------------------------------

namespace {
// SOFTWARE, then integrity with the request's key and algorithm, then FINGERPRINT if the
// request had one: the attribute order RFC 8489 §14 requires.
std::span<const std::uint8_t> seal(stun::MessageWriter& w, const stun::MessageView& m,
                                   const AuthContext* auth) {
  w.add_text(attr::software, kSoftware);
  if (auth) {
    if (auth->sha256_integrity)
      w.add_integrity_sha256(auth->key_bytes());
    else
      w.add_integrity(auth->key_bytes());
  }
  if (m.has_fingerprint()) w.add_fingerprint();
  return w.finish();
}
}  // namespace

void Shard::reply_error(const Transport& t, const stun::MessageView& m, std::uint16_t code,
                        const AuthContext* auth) {
  stun::MessageWriter w(reply_, m.raw_method(), Class::error, m.transaction_id());
  w.add_error(code, stun::error::reason(code));
  send_to_client(t, seal(w, m, auth));
}

void Shard::reply_challenge(const Transport& t, const stun::MessageView& m, std::uint16_t code) {
  stun::MessageWriter w(reply_, m.raw_method(), Class::error, m.transaction_id());
  w.add_error(code, stun::error::reason(code));
  w.add_text(attr::realm, shared.options.realm);
  const auto nonce = make_nonce(shared.nonce_key, unix_now());
  w.add_text(attr::nonce, std::string_view(nonce.data(), nonce.size()));
  // SHA-256 first: the client picks the first it supports.
  static constexpr std::uint8_t kAlgorithms[] = {0, 2, 0, 0, 0, 1, 0, 0};
  w.add(attr::password_algorithms, kAlgorithms);
  send_to_client(t, seal(w, m, nullptr));
}

// --- authentication -----------------------------------------------------------------------------

bool Shard::authenticate(const Transport& t, const stun::MessageView& m, Allocation* existing,
                         AuthContext& out) {
  const auto mi = m.find(attr::message_integrity);
  const auto mi256 = m.find(attr::message_integrity_sha256);
  if (!mi && !mi256) {
    reply_challenge(t, m, err::unauthenticated);
    return false;
  }
  const auto user_attr = m.find(attr::username);
  const auto hash_attr = m.find(attr::userhash);
  const auto realm_attr = m.find(attr::realm);
  const auto nonce_attr = m.find(attr::nonce);
  if ((!user_attr && !hash_attr) || !realm_attr || !nonce_attr) {
    counters.add(counters.auth_failures);
    reply_error(t, m, err::bad_request, nullptr);
    return false;
  }
  // Bad credentials on an existing allocation are 441 (RFC 8656 §7.3 et seq.), else 401.
  const std::uint16_t refusal = existing ? err::wrong_credentials : err::unauthenticated;
  auto refuse = [&] {
    counters.add(counters.auth_failures);
    if (refusal == err::unauthenticated)
      reply_challenge(t, m, refusal);
    else
      reply_error(t, m, refusal, nullptr);
    return false;
  };

  std::string username;
  if (user_attr) {
    username = std::string(stun::as_text(*user_attr));
  } else {
    const auto value = hash_attr->value;
    if (value.size() != 32) return refuse();
    for (const auto& [hash, name] : shared.userhashes)
      if (std::equal(hash.begin(), hash.end(), value.begin())) username = name;
    if (username.empty()) return refuse();
  }

  bool sha256_key = false;
  if (const auto pa = m.find(attr::password_algorithm)) {
    if (pa->value.size() < 4) {
      reply_error(t, m, err::bad_request, nullptr);
      return false;
    }
    const unsigned algorithm = pa->value[0] << 8 | pa->value[1];
    if (algorithm != 1 && algorithm != 2) {
      reply_error(t, m, err::bad_request, nullptr);
      return false;
    }
    sha256_key = algorithm == 2;
  }

  const auto lookup = shared.credentials.lookup(username, std::chrono::system_clock::now());
  if (lookup.status != CredentialStatus::ok) return refuse();

  const std::string& realm = shared.options.realm;
  bool matched = false;
  for (const auto& password : lookup.passwords) {
    if (sha256_key) {
      const auto k = stun::long_term_key_sha256(username, realm, password);
      std::copy(k.begin(), k.end(), out.key.begin());
      out.key_size = k.size();
    } else {
      const auto k = stun::long_term_key_md5(username, realm, password);
      std::copy(k.begin(), k.end(), out.key.begin());
      out.key_size = k.size();
    }
    matched = mi256 ? stun::check_integrity_sha256(m, out.key_bytes())
                    : stun::check_integrity(m, out.key_bytes());
    if (matched) break;
  }
  if (!matched) return refuse();
  if (existing && existing->auth.username != username) return refuse();

  if (!nonce_fresh(shared, stun::as_text(*nonce_attr))) {
    reply_challenge(t, m, err::stale_nonce);
    return false;
  }
  out.sha256_integrity = mi256.has_value();
  out.username = std::move(username);
  out.quota_user = lookup.quota_user.empty() ? out.username : lookup.quota_user;
  return true;
}

// --- dispatch -------------------------------------------------------------------------------------

void Shard::send_to_client(const Transport& t, stun::Bytes bytes) {
  if (bytes.empty()) return;
  if (t.conn) {
    t.conn->write(bytes);
    return;
  }
  if (t.udp_listener < 0 || static_cast<std::size_t>(t.udp_listener) >= udp_.size()) return;
  sockaddr_storage sa{};
  const socklen_t len = to_sockaddr(t.client, sa);
  ::sendto(udp_[static_cast<std::size_t>(t.udp_listener)]->fd.get(), bytes.data(),
           bytes.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&sa), len);
}

Allocation* Shard::find_udp_allocation(int listener, const stun::Endpoint& client) {
  const auto it = udp_allocations_.find({listener, client});
  return it == udp_allocations_.end() ? nullptr : it->second.get();
}

void Shard::handle_stun(const Transport& t, stun::Bytes packet) {
  const auto m = stun::MessageView::parse(packet);
  if (!m) return;  // not answerable: no transaction id we could trust
  switch (m->message_class()) {
    case Class::request:
      handle_request(t, *m);
      return;
    case Class::indication:
      if (m->method() == Method::send) on_send(t, *m);
      return;
    default:
      return;  // we never send requests, so responses are stray
  }
}

void Shard::handle_request(const Transport& t, const stun::MessageView& m) {
  std::array<std::uint16_t, 8> unknown{};
  if (m.method() == Method::binding) {
    // Binding needs no credentials (RFC 8489 §3): it is how a client learns its address.
    if (const auto n = m.unknown_required(unknown); n > 0) {
      stun::MessageWriter w(reply_, m.raw_method(), Class::error, m.transaction_id());
      w.add_error(err::unknown_attribute, err::reason(err::unknown_attribute));
      w.add_unknown_attributes({unknown.data(), std::min(n, unknown.size())});
      send_to_client(t, seal(w, m, nullptr));
      return;
    }
    stun::MessageWriter w(reply_, Method::binding, Class::success, m.transaction_id());
    w.add_xor_address(attr::xor_mapped_address, t.client);
    send_to_client(t, seal(w, m, nullptr));
    return;
  }

  Allocation* existing = nullptr;
  if (t.conn)
    existing = t.conn->allocation.get();
  else
    existing = find_udp_allocation(t.udp_listener, t.client);

  const bool known_method = m.method() == Method::allocate || m.method() == Method::refresh ||
                            m.method() == Method::create_permission ||
                            m.method() == Method::channel_bind ||
                            m.method() == Method::connect ||
                            m.method() == Method::connection_bind;
  if (!known_method) {
    reply_error(t, m, err::bad_request, nullptr);
    return;
  }

  AuthContext auth;
  if (!authenticate(t, m, existing, auth)) return;

  if (const auto n = m.unknown_required(unknown); n > 0) {
    stun::MessageWriter w(reply_, m.raw_method(), Class::error, m.transaction_id());
    w.add_error(err::unknown_attribute, err::reason(err::unknown_attribute));
    w.add_unknown_attributes({unknown.data(), std::min(n, unknown.size())});
    send_to_client(t, seal(w, m, &auth));
    return;
  }

  switch (m.method()) {
    case Method::allocate:
      if (existing) {
        // A retransmitted Allocate gets the same answer; anything else is a second allocation
        // on this 5-tuple (RFC 8656 §7.2 step 2).
        if (existing->allocate_tid == m.transaction_id() && !existing->allocate_response.empty())
          send_to_client(t, existing->allocate_response);
        else
          reply_error(t, m, err::allocation_mismatch, &auth);
        return;
      }
      on_allocate(t, m, auth);
      return;
    case Method::connection_bind:
      on_connection_bind(t, m, auth);
      return;
    default:
      break;
  }
  if (!existing || existing->dead) {
    reply_error(t, m, err::allocation_mismatch, &auth);
    return;
  }
  switch (m.method()) {
    case Method::refresh:
      on_refresh(t, m, auth, existing);
      return;
    case Method::create_permission:
      on_create_permission(t, m, auth, existing);
      return;
    case Method::channel_bind:
      on_channel_bind(t, m, auth, existing);
      return;
    case Method::connect:
      on_connect(t, m, auth, existing);
      return;
    default:
      return;
  }
}

// --- Allocate -----------------------------------------------------------------------------------

std::optional<stun::Endpoint> Shard::relay_ip(const Transport& t, stun::Family f) const {
  for (const auto& e : shared.relay_addresses)
    if (e.family == f) return e;
  if (t.local.family == f && !is_wildcard(t.local)) {
    auto e = t.local;
    e.port = 0;
    return e;
  }
  for (const auto& e : shared.listener_hosts)
    if (e.family == f && !is_wildcard(e)) {
      auto copy = e;
      copy.port = 0;
      return copy;
    }
  return std::nullopt;
}

stun::Endpoint Shard::advertise(const stun::Endpoint& bound) const {
  const auto& ext = bound.family == stun::Family::ipv4 ? shared.external4 : shared.external6;
  if (!ext) return bound;
  auto e = *ext;
  e.port = bound.port;
  return e;
}

void Shard::on_allocate(const Transport& t, const stun::MessageView& m, const AuthContext& auth) {
  const auto& cfg = shared.options.config;
  const auto rt = m.find(attr::requested_transport);
  const auto protocol = rt ? stun::decode_requested_transport(*rt) : std::nullopt;
  if (!protocol) return reply_error(t, m, err::bad_request, &auth);
  const bool tcp = *protocol == 6;
  if (*protocol != 17 && !(tcp && t.stream()))
    return reply_error(t, m, err::unsupported_transport_protocol, &auth);

  const auto even_attr = m.find(attr::even_port);
  const auto token_attr = m.find(attr::reservation_token);
  const auto family_attr = m.find(attr::requested_address_family);
  const auto additional_attr = m.find(attr::additional_address_family);
  const bool dont_fragment = m.find(attr::dont_fragment).has_value();
  std::optional<bool> even;
  if (even_attr && !(even = stun::decode_even_port(*even_attr)))
    return reply_error(t, m, err::bad_request, &auth);
  // RFC 8656 §7.2: a token excludes EVEN-PORT and an address family choice.
  if (token_attr && (even_attr || family_attr || additional_attr))
    return reply_error(t, m, err::bad_request, &auth);
  if (family_attr && additional_attr) return reply_error(t, m, err::bad_request, &auth);
  if (token_attr && token_attr->value.size() != 8)
    return reply_error(t, m, err::bad_request, &auth);

  stun::Family family = stun::Family::ipv4;
  if (family_attr) {
    const auto f = stun::decode_family(*family_attr);
    if (!f) return reply_error(t, m, err::address_family_not_supported, &auth);
    family = *f;
  }
  bool dual = false;
  if (additional_attr) {
    const auto f = stun::decode_family(*additional_attr);
    if (!f || *f != stun::Family::ipv6) return reply_error(t, m, err::bad_request, &auth);
    dual = true;
  }
  if (tcp && (dual || even_attr || token_attr)) return reply_error(t, m, err::bad_request, &auth);

  std::optional<Reservation> reservation;
  if (token_attr) {
    std::uint64_t token = 0;
    for (auto b : token_attr->value) token = token << 8 | b;
    std::lock_guard lock(shared.mutex);
    const auto it = shared.reservations.find(token);
    if (it == shared.reservations.end()) return reply_error(t, m, err::insufficient_capacity, &auth);
    reservation = it->second;
    shared.reservations.erase(it);
    family = reservation->bound.family;
  }
  const auto give_back_reservation = [&] {
    if (reservation && reservation->fd >= 0) ::close(reservation->fd);
  };

  const auto ip = relay_ip(t, family);
  if (!ip) {
    give_back_reservation();
    return reply_error(t, m, err::address_family_not_supported, &auth);
  }

  if (const auto refused = shared.take_quota(auth.quota_user)) {
    give_back_reservation();
    counters.add(counters.quota_refusals);
    return reply_error(t, m, refused, &auth);
  }

  auto a = std::make_shared<Allocation>();
  a->shard = this;
  a->transport = t;
  a->auth = auth;
  a->allocate_tid = m.transaction_id();
  a->tokens = static_cast<double>(cfg.max_bandwidth_bytes_per_second);
  a->refilled = now;
  a->tcp = tcp;
  if (t.conn) a->control = t.conn->weak_from_this();

  std::uint64_t token = 0;
  std::uint16_t additional_error = 0;
  bool ok = true;
  if (tcp) {
    ok = false;
    const auto& c = cfg;
    const unsigned span = c.relay_port_max >= c.relay_port_min
                              ? c.relay_port_max - c.relay_port_min + 1u
                              : 1u;
    std::uint32_t start = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&start), sizeof start);
    for (unsigned i = 0; i < span && !ok; ++i) {
      auto at = *ip;
      at.port = static_cast<std::uint16_t>(c.relay_port_min + (start + i) % span);
      boost::system::error_code ec;
      auto acc = std::make_unique<asio::ip::tcp::acceptor>(io);
      const asio::ip::tcp::endpoint ep(to_asio(at), at.port);
      acc->open(ep.protocol(), ec);
      if (ec) break;
      const int one = 1;
      ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      // SO_REUSEPORT lets Connect's outgoing sockets share the relayed port (RFC 6062 §5.2).
      ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      acc->bind(ep, ec);
      if (ec) continue;
      acc->listen(asio::socket_base::max_listen_connections, ec);
      if (ec) continue;
      a->tcp_acceptor = std::move(acc);
      a->tcp_bound = at;
      a->tcp_advertised = advertise(at);
      ok = true;
    }
  } else if (reservation) {
    auto r = std::make_unique<RelaySocket>();
    r->fd = Fd(reservation->fd);
    r->bound = reservation->bound;
    r->advertised = advertise(r->bound);
    (family == stun::Family::ipv4 ? a->relay4 : a->relay6) = std::move(r);
  } else {
    auto r = open_relay(*ip, even.has_value(), even.value_or(false), &token, dont_fragment);
    if (!r) ok = false;
    (family == stun::Family::ipv4 ? a->relay4 : a->relay6) = std::move(r);
    if (ok && dual) {
      const auto ip6 = relay_ip(t, stun::Family::ipv6);
      auto r6 = ip6 ? open_relay(*ip6, false, false, nullptr, dont_fragment) : nullptr;
      if (!r6)
        additional_error = ip6 ? err::insufficient_capacity : err::address_family_not_supported;
      a->relay6 = std::move(r6);
    }
  }
  if (!ok) {
    shared.release_quota(auth.quota_user);
    return reply_error(t, m, err::insufficient_capacity, &auth);
  }

  const auto lifetime = clamp_lifetime(cfg, lifetime_of(m));
  a->expires = now + std::chrono::seconds(lifetime);

  stun::MessageWriter w(reply_, Method::allocate, Class::success, m.transaction_id());
  if (a->tcp) w.add_xor_address(attr::xor_relayed_address, a->tcp_advertised);
  if (a->relay4) w.add_xor_address(attr::xor_relayed_address, a->relay4->advertised);
  if (a->relay6) w.add_xor_address(attr::xor_relayed_address, a->relay6->advertised);
  w.add_u32(attr::lifetime, lifetime);
  if (token != 0) {
    std::array<std::uint8_t, 8> bytes{};
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::uint8_t>(token >> (56 - 8 * i));
    w.add(attr::reservation_token, bytes);
  }
  if (additional_error) {
    // ADDRESS-ERROR-CODE: family, reserved, class, number, reason (RFC 8656 §18.11).
    std::array<std::uint8_t, 68> value{0x02, 0, static_cast<std::uint8_t>(additional_error / 100),
                                       static_cast<std::uint8_t>(additional_error % 100)};
    const auto reason = err::reason(additional_error);
    const std::size_t n = std::min<std::size_t>(reason.size(), value.size() - 4);
    std::memcpy(value.data() + 4, reason.data(), n);
    w.add(attr::address_error_code, {value.data(), 4 + n});
  }
  w.add_xor_address(attr::xor_mapped_address, t.client);
  const auto bytes = seal(w, m, &auth);
  a->allocate_response.assign(bytes.begin(), bytes.end());

  allocations_.push_back(a);
  if (t.conn)
    t.conn->allocation = a;
  else
    udp_allocations_[{t.udp_listener, t.client}] = a;
  counters.add(counters.allocations);
  counters.add(counters.allocations_total);
  if (a->relay4) watch_relay(*a, *a->relay4);
  if (a->relay6) watch_relay(*a, *a->relay6);
  if (a->tcp) accept_peer(a);
  send_to_client(t, bytes);
}

// --- Refresh, CreatePermission, ChannelBind ------------------------------------------------------

void Shard::on_refresh(const Transport& t, const stun::MessageView& m, const AuthContext& auth,
                       Allocation* a) {
  if (const auto f = m.find(attr::requested_address_family)) {
    const auto family = stun::decode_family(*f);
    if (!family || !a->has_family(*family))
      return reply_error(t, m, err::peer_address_family_mismatch, &auth);
  }
  const auto requested = lifetime_of(m);
  std::uint32_t lifetime = 0;
  if (requested && *requested == 0) {
    release(a->shared_from_this());
  } else {
    lifetime = clamp_lifetime(shared.options.config, requested);
    a->expires = now + std::chrono::seconds(lifetime);
  }
  stun::MessageWriter w(reply_, Method::refresh, Class::success, m.transaction_id());
  w.add_u32(attr::lifetime, lifetime);
  send_to_client(t, seal(w, m, &auth));
}

namespace {
void install_permission(Allocation& a, const stun::Endpoint& peer, Clock::time_point now,
                        AtomicCounters& c) {
  for (auto& p : a.permissions)
    if (same_ip(p.ip, peer)) {
      p.expires = now + kPermissionLifetime;
      return;
    }
  auto ip = peer;
  ip.port = 0;
  a.permissions.push_back({ip, now + kPermissionLifetime});
  c.add(c.permissions);
}
}  // namespace

void Shard::on_create_permission(const Transport& t, const stun::MessageView& m,
                                 const AuthContext& auth, Allocation* a) {
  std::array<stun::Endpoint, stun::kMaxAttributes> peers{};
  std::size_t count = 0;
  for (const auto& at : m.attributes()) {
    if (at.type != attr::xor_peer_address) continue;
    const auto peer = stun::decode_xor_address(at, m.transaction_id());
    if (!peer) return reply_error(t, m, err::bad_request, &auth);
    if (!a->has_family(peer->family))
      return reply_error(t, m, err::peer_address_family_mismatch, &auth);
    if (!shared.filter.allowed(*peer)) {
      counters.add(counters.refused_peers);
      return reply_error(t, m, err::forbidden, &auth);
    }
    peers[count++] = *peer;
  }
  if (count == 0) return reply_error(t, m, err::bad_request, &auth);
  for (std::size_t i = 0; i < count; ++i) install_permission(*a, peers[i], now, counters);
  stun::MessageWriter w(reply_, Method::create_permission, Class::success, m.transaction_id());
  send_to_client(t, seal(w, m, &auth));
}

void Shard::on_channel_bind(const Transport& t, const stun::MessageView& m,
                            const AuthContext& auth, Allocation* a) {
  const auto ch_attr = m.find(attr::channel_number);
  const auto peer_attr = m.find(attr::xor_peer_address);
  const auto channel = ch_attr ? channel_number(*ch_attr) : std::nullopt;
  const auto peer = peer_attr ? stun::decode_xor_address(*peer_attr, m.transaction_id())
                              : std::nullopt;
  if (!channel || !peer || a->tcp)
    return reply_error(t, m, err::bad_request, &auth);
  if (!a->has_family(peer->family))
    return reply_error(t, m, err::peer_address_family_mismatch, &auth);
  if (!shared.filter.allowed(*peer)) {
    counters.add(counters.refused_peers);
    return reply_error(t, m, err::forbidden, &auth);
  }
  // A channel is bound to one peer and a peer to one channel for the binding's lifetime.
  Channel* same = nullptr;
  for (auto& c : a->channels) {
    const bool number_match = c.number == *channel;
    const bool peer_match = c.peer == *peer;
    if (number_match && peer_match) same = &c;
    else if (number_match || peer_match) return reply_error(t, m, err::bad_request, &auth);
  }
  if (same) {
    same->expires = now + kChannelLifetime;
  } else {
    a->channels.push_back({*channel, *peer, now + kChannelLifetime});
    counters.add(counters.channels);
  }
  install_permission(*a, *peer, now, counters);
  stun::MessageWriter w(reply_, Method::channel_bind, Class::success, m.transaction_id());
  send_to_client(t, seal(w, m, &auth));
}

// --- data from the client -----------------------------------------------------------------------

void Shard::on_send(const Transport& t, const stun::MessageView& m) {
  Allocation* a = t.conn ? t.conn->allocation.get() : find_udp_allocation(t.udp_listener, t.client);
  if (!a || a->dead || a->tcp) return;
  const auto peer_attr = m.find(attr::xor_peer_address);
  const auto data = m.find(attr::data);
  if (!peer_attr || !data) return;
  const auto peer = stun::decode_xor_address(*peer_attr, m.transaction_id());
  if (!peer || !a->permission(*peer, now)) return;  // silently dropped (RFC 8656 §11.2)
  relay_to_peer(*a, *peer, data->value);
}

void Shard::handle_channel_data(const Transport& t, stun::Bytes packet, Allocation* a) {
  if (!a) a = t.conn ? t.conn->allocation.get() : find_udp_allocation(t.udp_listener, t.client);
  if (!a || a->dead) return;
  const auto cd = parse_channel(packet);
  if (!cd) return;
  const Channel* c = a->channel_by_number(cd->channel, now);
  if (!c) return;
  relay_to_peer(*a, c->peer, cd->data);
}

// --- lifetime -------------------------------------------------------------------------------------

void Shard::release(const std::shared_ptr<Allocation>& a) {
  if (a->dead) return;
  a->dead = true;
  // Queued datagrams name relay descriptors by number: send them before these close, so none
  // leaves later through a new socket that reused the number.
  flush_sends();
  for (auto* r : {a->relay4.get(), a->relay6.get()}) {
    if (!r) continue;
    unwatch_relay(*r);
    r->fd.reset();
  }
  boost::system::error_code ec;
  if (a->tcp_acceptor) a->tcp_acceptor->close(ec);
  for (auto& w : a->peer_connections)
    if (auto p = w.lock()) p->close();
  // The gauges count table entries (expired ones stay until the sweep removes them).
  counters.add(counters.permissions, -static_cast<std::int64_t>(a->permissions.size()));
  counters.add(counters.channels, -static_cast<std::int64_t>(a->channels.size()));
  counters.add(counters.allocations, -1);
  shared.release_quota(a->auth.quota_user);
  if (a->transport.conn) {
    if (auto c = a->control.lock(); c && c->allocation == a) c->allocation.reset();
  } else {
    udp_allocations_.erase({a->transport.udp_listener, a->transport.client});
  }
  std::erase(allocations_, a);
}

}  // namespace parley::relay::detail
