#include "auth/token_service.hpp"
#include "common/text.hpp"

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/time.hpp"

#include <algorithm>
#include <atomic>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace parley::auth {
namespace {

constexpr std::string_view kTokenPrefix = "cwt=";
// Issued tokens are "cwt=" + 43 characters; anything much longer is not one of ours and is
// refused without hashing it or asking the store.
constexpr std::size_t kMaxTokenBytes = 256;
constexpr std::size_t kMaxCachedTokens = 100'000;
// A cached token is checked against the store again after this long, so that a change made
// behind this process's back (another front end of the pool, a direct database edit) takes
// effect within it even without an explicit revocation here.
constexpr std::int64_t kRecheckMs = 60'000;
constexpr std::int64_t kPurgeEveryMs = 60'000;
constexpr std::size_t kMaxUserAgentBytes = 512;
constexpr std::size_t kMaxClientAddressBytes = 64;

bool plausible_token(std::string_view token) {
  if (token.size() <= kTokenPrefix.size() || token.size() > kMaxTokenBytes || !token.starts_with(kTokenPrefix))
    return false;
  for (char c : token.substr(kTokenPrefix.size()))
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
      return false;
  return true;
}



}  // namespace

struct TokenService::Impl {
  struct Entry {
    Identity identity;
    std::int64_t checked_at_ms = 0;
    std::list<std::string>::iterator order;  // position in `insertion`
  };

  Impl(storage::Store& s, runtime::BlockingPool& p, WebTicketConfig c, Clock clk)
      : store(s), pool(p), config(c), clock(clk ? std::move(clk) : Clock(&now_ms)) {}

  // Caller holds `mutex`.
  void erase_locked(const std::string& sha) {
    const auto it = cache.find(sha);
    if (it == cache.end()) return;
    if (auto u = by_user.find(it->second.identity.sip_uri); u != by_user.end()) {
      u->second.erase(sha);
      if (u->second.empty()) by_user.erase(u);
    }
    insertion.erase(it->second.order);
    cache.erase(it);
  }

  // Caches a token unless a revocation happened since `epoch_seen` was read: the store answer
  // behind `id` may predate it, and caching it would bring a revoked token back to life.
  void remember(const std::string& sha, const Identity& id, std::uint64_t epoch_seen, std::int64_t now) {
    std::lock_guard lock(mutex);
    if (epoch != epoch_seen) return;
    erase_locked(sha);
    while (cache.size() >= kMaxCachedTokens) erase_locked(insertion.front());
    insertion.push_back(sha);
    cache.emplace(sha, Entry{id, now, std::prev(insertion.end())});
    by_user[id.sip_uri].insert(sha);
  }

  std::size_t revoke(const std::string& sip) {
    const std::size_t n = store.revoke_user_tokens(sip);
    std::lock_guard lock(mutex);
    ++epoch;
    if (auto u = by_user.find(sip); u != by_user.end()) {
      const auto shas = u->second;  // erase_locked edits the set
      for (const auto& sha : shas) erase_locked(sha);
    }
    return n;
  }

  storage::Store& store;
  runtime::BlockingPool& pool;
  WebTicketConfig config;
  // The lifetime of tokens issued from now on (the web-service configuration may change it).
  std::atomic<unsigned> lifetime{config.token_lifetime_seconds};
  Clock clock;

  std::mutex mutex;
  // token SHA-256 -> owner; looked up with each request's hash as a string_view, without a string
  std::unordered_map<std::string, Entry, StringHash, std::equal_to<>> cache;
  std::unordered_map<std::string, std::unordered_set<std::string>> by_user;
  std::list<std::string> insertion;  // oldest first, for eviction
  std::uint64_t epoch = 0;           // bumped by every revocation
  std::atomic<std::int64_t> last_purge_ms{0};
};

void TokenService::set_token_lifetime(unsigned seconds) { impl_->lifetime = seconds; }

TokenService::TokenService(storage::Store& store, runtime::BlockingPool& pool, WebTicketConfig config,
                           Clock clock)
    : impl_(std::make_unique<Impl>(store, pool, config, std::move(clock))) {}

TokenService::~TokenService() = default;

boost::asio::awaitable<IssuedToken> TokenService::issue(std::string sip_uri, const http::Request& req,
                                                        std::string grant_type) {
  Impl& s = *impl_;
  const std::int64_t now = s.clock();
  IssuedToken issued;
  issued.access_token = std::string(kTokenPrefix) + random_token(32);
  const unsigned lifetime = s.lifetime.load();
  issued.expires_in_seconds = lifetime;

  storage::TokenRecord record;
  record.token_sha256 = sha256_hex(issued.access_token);
  record.sip_uri = lower(sip_uri);
  record.issued_at_ms = now;
  record.expires_at_ms = now + std::int64_t{lifetime} * 1000;
  record.client_address = printable_ascii(req.remote_address, kMaxClientAddressBytes);
  record.user_agent = printable_ascii(req.headers.get("User-Agent"), kMaxUserAgentBytes);
  record.site = std::string(http::to_string(req.site));
  record.grant_type = std::move(grant_type);

  std::uint64_t epoch_seen = 0;
  {
    std::lock_guard lock(s.mutex);
    epoch_seen = s.epoch;
  }
  auto insert = [&s, record] { s.store.insert_token(record); };
  co_await s.pool.store(insert);
  s.remember(record.token_sha256, Identity{record.sip_uri, record.expires_at_ms}, epoch_seen, now);

  // Expired rows are useless; clearing them now and then keeps the table the size of the
  // tokens in use. At most once a minute, whoever issues first does it.
  std::int64_t last = s.last_purge_ms.load();
  if (now - last >= kPurgeEveryMs && s.last_purge_ms.compare_exchange_strong(last, now)) {
    auto purge = [&s, now] { return s.store.purge_expired_tokens(now); };
    const std::size_t purged = co_await s.pool.store(purge);
    if (purged) logger("auth")->debug("purged {} expired token(s)", purged);
    std::lock_guard lock(s.mutex);
    std::vector<std::string> expired;
    for (const auto& [sha, e] : s.cache)
      if (e.identity.expires_at_ms <= now) expired.push_back(sha);
    for (const auto& sha : expired) s.erase_locked(sha);
  }
  co_return issued;
}

namespace {

// What the cache knows of a token: its identity, a refusal, or nothing yet (then `sha`, `now` and
// `epoch_seen` are what asking the store needs; the store's answer is cached only if no
// revocation happened since `epoch_seen` was read).
struct CacheVerdict {
  enum { hit, refused, ask_store } kind = refused;
  Identity identity;
  std::string sha;
  std::int64_t now = 0;
  std::uint64_t epoch_seen = 0;
};

CacheVerdict look_in_cache(TokenService::Impl& s, std::string_view token) {
  CacheVerdict v;
  if (!plausible_token(token)) return v;
  const auto hex = sha256_hex_array(token);
  const std::string_view sha(hex.data(), hex.size());
  v.now = s.clock();
  std::lock_guard lock(s.mutex);
  if (auto it = s.cache.find(sha); it != s.cache.end()) {
    if (it->second.identity.expires_at_ms <= v.now) {
      s.erase_locked(std::string(sha));
      return v;
    }
    if (v.now - it->second.checked_at_ms < kRecheckMs) {
      v.kind = CacheVerdict::hit;
      v.identity = it->second.identity;
      return v;
    }
  }
  v.kind = CacheVerdict::ask_store;
  v.sha = sha;
  v.epoch_seen = s.epoch;
  return v;
}

boost::asio::awaitable<std::optional<Identity>> ask_store(TokenService::Impl& s, std::string sha,
                                                          std::int64_t now, std::uint64_t epoch_seen) {
  auto lookup = [&s, sha]() -> std::optional<Identity> {
    auto record = s.store.find_token(sha);
    if (!record) return std::nullopt;
    auto user = s.store.find_user(record->sip_uri);
    if (!user || !user->enabled) return std::nullopt;
    return Identity{user->sip_uri, record->expires_at_ms};
  };
  auto found = co_await s.pool.store(lookup);
  if (!found || found->expires_at_ms <= now) {
    std::lock_guard lock(s.mutex);
    s.erase_locked(sha);
    co_return std::nullopt;
  }
  s.remember(sha, *found, epoch_seen, now);
  co_return found;
}

}  // namespace

boost::asio::awaitable<std::optional<Identity>> TokenService::validate(std::string token) {
  auto v = look_in_cache(*impl_, token);
  if (v.kind != CacheVerdict::ask_store)
    co_return v.kind == CacheVerdict::hit ? std::optional(std::move(v.identity)) : std::nullopt;
  co_return co_await ask_store(*impl_, std::move(v.sha), v.now, v.epoch_seen);
}

boost::asio::awaitable<std::optional<Identity>> TokenService::authenticate(const http::Request& req) {
  std::string_view value = req.headers.get("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme))
    co_return std::nullopt;
  value.remove_prefix(kScheme.size());
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  // Every protected request comes here: a cached token is answered without a second coroutine.
  auto v = look_in_cache(*impl_, value);
  if (v.kind != CacheVerdict::ask_store)
    co_return v.kind == CacheVerdict::hit ? std::optional(std::move(v.identity)) : std::nullopt;
  co_return co_await ask_store(*impl_, std::move(v.sha), v.now, v.epoch_seen);
}

boost::asio::awaitable<std::size_t> TokenService::revoke_user(std::string sip_uri) {
  auto job = [this, sip = lower(sip_uri)] { return impl_->revoke(sip); };
  co_return co_await impl_->pool.store(job);
}

std::size_t TokenService::revoke_user_blocking(const std::string& sip_uri) {
  return impl_->revoke(lower(sip_uri));
}

http::Response challenge_response(std::string_view webticket_url, std::string_view message) {
  auto res = http::error_response(401, "Unauthorized", "", message);
  // UCWA.md §1.3: the Bearer line names the issuer (here the web-ticket host) and the client id
  // Skype for Business clients expect; the MsRtcOAuth line says where and how to get a token.
  std::string_view host = webticket_url;
  if (const auto scheme = host.find("://"); scheme != std::string_view::npos) host.remove_prefix(scheme + 3);
  host = host.substr(0, host.find('/'));
  // The issuer realm is a host name: drop a port (and keep an IPv6 literal's brackets whole).
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos &&
                                          host.find(']', colon) == std::string_view::npos)
    host = host.substr(0, colon);
  res.headers.add("WWW-Authenticate", "Bearer trusted_issuers=\"00000002-0000-0ff1-ce00-000000000000@" +
                                          std::string(host) +
                                          "\", client_id=\"00000004-0000-0ff1-ce00-000000000000\"");
  res.headers.add("WWW-Authenticate",
                  "MsRtcOAuth href=\"" + std::string(webticket_url) +
                      "\",grant_type=\"urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password\"");
  return res;
}

}  // namespace parley::auth
