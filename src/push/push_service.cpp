// When and how a device is woken: the event observer, the grace period, delivery with retries
// within the TTL, dead registrations, health, and the test notification.
#include "push/push_service_impl.hpp"
#include "push/reset_guard.hpp"

#include "api/application_state.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <fstream>
#include <tuple>

namespace parley::push {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The VAPID key: configured, or generated once into the data directory (owner-only).
SigningKey load_vapid_key(const Config& config) {
  std::filesystem::path path = config.push.webpush.vapid_key_file;
  const bool generated = path.empty();
  if (generated) path = std::filesystem::path(config.data_dir) / "push" / "vapid.pem";
  if (std::filesystem::exists(path)) {
    auto key = SigningKey::from_pem(read_secret_file(path, "the VAPID key"));
    if (!key.is_p256()) throw std::runtime_error("the VAPID key " + path.string() + " is not an EC P-256 key");
    return key;
  }
  if (!generated) throw std::runtime_error("the VAPID key " + path.string() + " does not exist");
  auto key = SigningKey::generate_p256();
  std::filesystem::create_directories(path.parent_path());
  write_file_atomic(path, key.private_pem(), 0600);
  logger("push")->info("generated the Web Push (VAPID) key {}", path.string());
  return key;
}

void log_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    logger("push")->warn("push delivery failed: {}", ex.what());
  }
}

}  // namespace

PushService::PushService(api::Engine& engine, const Config& config, asio::any_io_executor executor)
    : engine_(engine), ctx_(engine.context()), config_(config), executor_(std::move(executor)) {
  const auto& push = config.push;
  if (!push.apns.key_file.empty()) apns_ = make_apns(executor_, push.apns);
  if (!push.fcm.service_account_file.empty()) fcm_ = make_fcm(executor_, push.fcm);
  auto vapid = load_vapid_key(config);
  vapid_public_ = base64url(vapid.public_point());
  std::string subject = push.webpush.subject;
  if (subject.empty())
    subject = "mailto:postmaster@" + (config.sip_domains.empty() ? std::string("localhost") : config.sip_domains.front());
  webpush_ = make_webpush(executor_, push.webpush, std::move(vapid), std::move(subject));
  // Every provider's client links the guard; a build that stopped exporting it would send a
  // reset per push again, and busy providers would cut the connection (push/reset_guard.hpp).
  if (!finished_stream_reset_guard_active())
    logger("push")->warn("libcurl's resets of finished HTTP/2 streams are not intercepted in this build: "
                         "a busy provider may close the connection every thousand or so pushes");
}

Provider* PushService::provider(std::string_view name) const {
  if (name == "apns") return apns_.get();
  if (name == "fcm") return fcm_.get();
  if (name == "webpush") return webpush_.get();
  return nullptr;
}

bool PushService::enabled(const policy::PushConfig& c, std::string_view name) const {
  if (!provider(name)) return false;
  return name == "apns" ? c.apns : name == "fcm" ? c.fcm : c.web_push;
}

std::string PushService::why_not(const policy::PushConfig& c, std::string_view name) const {
  const std::string flag = name == "apns"  ? "--enable-apple-push-notification-service"
                           : name == "fcm" ? "--enable-firebase-cloud-messaging"
                                           : "--enable-web-push";
  if (!provider(name))
    return std::string(name) + " is not configured on this server ([push." + std::string(name) + "] in parleyd.toml)";
  if (!enabled(c, name))
    return std::string(name) + " is switched off (parley config set push " + flag + " true)";
  return {};
}

// ---- from event to notification ---------------------------------------------------------------

void PushService::observe(api::Application& app, const events::Event& e) {
  auto n = classify(e);
  if (!n) return;
  auto self = shared_from_this();
  asio::co_spawn(executor_, watch(self, app.id(), app.owner(), app.endpoint_id(), Clock::now(), std::move(*n)),
                 log_failure);
}

// When to wake the device. An application with no P-GET outstanding, quiet for longer than the
// grace period, is in the background: its device is woken at once. One that polled a moment ago
// gets the rest of the grace period to come back. One with a P-GET waiting gets the event through
// it, but a phone that went to the background with its P-GET open (suspended, its connection
// silently dead) never reads it: unless a new P-GET arrives within the grace period, showing the
// client took the event and came back for more, the device is woken then.
asio::awaitable<void> PushService::watch(std::shared_ptr<PushService> self, std::string app_id,
                                         std::string owner, std::string endpoint_id,
                                         Clock::time_point queued, Notification n) {
  const auto grace = self->engine_.scaled(std::chrono::milliseconds(self->config_.push.grace_ms));
  Clock::time_point wake_at = queued + grace;
  {
    auto app = self->engine_.find(app_id);
    if (!app) co_return;
    auto& p = app->state();
    std::lock_guard lock(p.mutex);
    bool listening = false;
    Clock::time_point last_end{};
    for (const auto& [instance, channel] : p.channels) {
      listening = listening || channel->parked();
      last_end = std::max(last_end, channel->last_pget_end());
    }
    if (!listening) wake_at = std::max(queued, last_end + grace);
  }
  if (wake_at > Clock::now()) {
    asio::steady_timer timer(self->executor_);
    timer.expires_at(wake_at);
    co_await timer.async_wait(asio::use_awaitable);
    auto app = self->engine_.find(app_id);
    if (!app) co_return;
    auto& p = app->state();
    std::lock_guard lock(p.mutex);
    for (const auto& [instance, channel] : p.channels)
      if (channel->last_pget_start() > queued) co_return;  // the application took it
  }
  auto delivery = self->deliver(std::move(owner), std::move(endpoint_id), std::move(n));
  co_await std::move(delivery);
}

asio::awaitable<void> PushService::deliver(std::string owner, std::string endpoint_id, Notification n) {
  storage::Store* store = ctx_.store;
  auto find = [store, owner, endpoint_id] { return store->find_push_registration_of(owner, endpoint_id); };
  const auto reg = co_await ctx_.pool->store(find);
  if (!reg) co_return;
  // A PushKit (VoIP) token takes calls only: Apple answers anything else for it with
  // DeviceTokenNotForTopic, which would delete the registration.
  if (reg->voip && n.tier != Tier::urgent) co_return;
  const auto who = co_await context_of(owner, n.from);
  if (!who.policy.enable_push_notifications) {
    logger("push")->debug("no push to {}: EnablePushNotifications is off", owner);
    co_return;
  }
  Provider* p = provider(reg->provider);
  if (!p || !enabled(who.push, reg->provider)) {
    const std::string why = why_not(who.push, reg->provider);
    co_await record(reg->id, false, 0, why);
    co_return;
  }
  if (n.badge < 0) n.badge = who.badge;  // every alert sets the badge to the missed items
  // An iPhone that registered its PushKit token beside its alert token: a call goes to PushKit,
  // which wakes the app to show it (CallKit); everything else stays an alert on `token`.
  bool to_pushkit = !reg->voip && !reg->voip_token.empty() && n.tier == Tier::urgent;
  storage::PushRegistration target = *reg;
  if (to_pushkit) {
    target.token = reg->voip_token;
    target.voip = true;
  }
  const Text text = text_of(n, who.display_from, who.push.previews);
  const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(config_.push.ttl_seconds);
  auto backoff = engine_.scaled(std::chrono::milliseconds(1000));
  asio::steady_timer timer(executor_);
  for (int attempt = 1;; ++attempt) {
    // g++ 12 destroys a temporary inside a co_await expression twice: every argument here is
    // a named object.
    const Message message{&target, &n, text, expires};
    const Delivery d = co_await p->send(message);
    if (d.ok) {
      ++counters_.sent;
      const std::string no_error;
      co_await record(reg->id, true, d.status, no_error);
      logger("push")->debug("{} push to {} ({}) delivered in {} ms", to_string(n.kind), owner,
                            reg->provider, d.latency.count() / 1000);
      co_return;
    }
    if (d.unregistered && to_pushkit) {
      // Only the PushKit token is dead: the device keeps its alert token and its registration,
      // and this call still rings there, as an alert.
      ++counters_.unregistered;
      co_await forget_voip_token(*reg, d.status, d.reason);
      to_pushkit = false;
      target = *reg;
      target.voip_token.clear();
      continue;
    }
    if (d.unregistered) {
      ++counters_.unregistered;
      co_await forget(*reg, d.reason);
      co_return;
    }
    if (!d.retry) {
      ++counters_.failed;
      co_await record(reg->id, false, d.status, d.reason);
      logger("push")->warn("{} refused a push to {}: {} {}", reg->provider, owner, d.status, d.reason);
      co_return;
    }
    auto wait = std::max(backoff, engine_.scaled(std::chrono::duration_cast<std::chrono::milliseconds>(d.retry_after)));
    if (std::chrono::system_clock::now() + wait >= expires) {
      ++counters_.expired;
      const std::string why = "dropped after " + std::to_string(attempt) + " attempt(s), TTL of " +
                              std::to_string(config_.push.ttl_seconds) + " s reached: " + d.reason;
      co_await record(reg->id, false, d.status, why);
      logger("push")->warn("push to {} ({}) {}", owner, reg->provider, why);
      co_return;
    }
    ++counters_.retried;
    co_await record(reg->id, false, d.status, d.reason);
    timer.expires_after(wait);
    co_await timer.async_wait(asio::use_awaitable);
    backoff = std::min(backoff * 2, engine_.scaled(std::chrono::milliseconds(60000)));
  }
}

asio::awaitable<PushService::Who> PushService::context_of(std::string owner, std::string from) {
  storage::Store* store = ctx_.store;
  auto find = [store, owner, from] {
    auto user = store->find_user(owner);
    auto sender = from.empty() ? std::nullopt : store->find_user(from);
    const auto missed = store->missed_counts(owner).unread_missed_conversations;
    return std::make_tuple(std::move(user), std::move(sender), missed);
  };
  const auto [user, sender, missed] = co_await ctx_.pool->store(find);
  Who who;
  who.badge = missed;
  const std::string site = user ? user->profile.site : std::string();
  who.policy = ctx_.policies->mobility(owner, site);
  who.push = ctx_.policies->push(site);
  who.display_from = sender && !sender->profile.display_name.empty() ? sender->profile.display_name : from;
  co_return who;
}

asio::awaitable<void> PushService::record(std::string id, bool success, long status, std::string error) {
  storage::Store* store = ctx_.store;
  const std::int64_t at = now_ms();
  auto job = [store, id, at, success, status, error] {
    return store->record_push_attempt(id, at, success, status, error);
  };
  co_await ctx_.pool->store(job);
}

// The provider says the token is dead: the registration goes, and the application (if it still
// runs) is no longer one that push can wake.
asio::awaitable<void> PushService::forget(storage::PushRegistration reg, std::string reason) {
  storage::Store* store = ctx_.store;
  const std::string id = reg.id;
  auto job = [store, id] { return store->delete_push_registration(id); };
  co_await ctx_.pool->store(job);
  for (auto& app : engine_.applications_of(reg.owner))
    if (app->endpoint_id() == reg.endpoint_id) {
      std::lock_guard lock(app->state().mutex);
      app->state().push_registered = false;
    }
  logger("push")->info("{} registration of {} ({}) deleted: the provider said {}", reg.provider,
                       reg.owner, reg.device_name.empty() ? reg.endpoint_id : reg.device_name, reason);
}

// APNs says the PushKit token is dead while the alert token may be fine: the registration stays,
// without its VoIP token (calls then come as alerts on `token`), and its health says why.
asio::awaitable<void> PushService::forget_voip_token(storage::PushRegistration reg, long status,
                                                     std::string reason) {
  storage::Store* store = ctx_.store;
  const std::string id = reg.id, dead = reg.voip_token;
  const std::int64_t at = now_ms();
  const std::string why = "VoIP token dropped: APNs said " + reason;
  auto job = [store, id, dead, at, status, why] {
    auto current = store->find_push_registration(id);
    // A re-registration since brought a token of its own: that one has not been tried yet.
    if (!current || current->voip_token != dead) return false;
    current->voip_token.clear();
    store->put_push_registration(*current);
    return store->record_push_attempt(id, at, false, status, why);
  };
  const bool cleared = co_await ctx_.pool->store(job);
  if (cleared)
    logger("push")->info("apns registration of {} ({}) keeps its alert token; its VoIP token is gone: {}",
                         reg.owner, reg.device_name.empty() ? reg.endpoint_id : reg.device_name, reason);
}

// ---- administration -----------------------------------------------------------------------------

asio::awaitable<json::array> PushService::status(std::string user) {
  storage::Store* store = ctx_.store;
  auto list = [store, user] { return store->list_push_registrations(user); };
  const auto regs = co_await ctx_.pool->store(list);
  json::array out;
  for (const auto& r : regs) out.emplace_back(registration_json(r, ""));
  co_return out;
}

asio::awaitable<json::array> PushService::test(std::string user, std::string device) {
  storage::Store* store = ctx_.store;
  auto list = [store, user] { return store->list_push_registrations(user); };
  const auto regs = co_await ctx_.pool->store(list);
  const std::string nobody;
  const auto who = co_await context_of(user, nobody);
  Notification n;
  n.kind = Kind::test;
  n.collapse_id = "parley-test";
  const Text text = text_of(n, "", false);
  json::array out;
  for (const auto& r : regs) {
    if (!device.empty() && r.id != device) continue;
    json::object row{{"device", r.id},
                     {"deviceName", r.device_name},
                     {"provider", r.provider},
                     {"endpointId", r.endpoint_id}};
    Provider* p = provider(r.provider);
    std::string why = why_not(who.push, r.provider);
    if (why.empty() && !who.policy.enable_push_notifications)
      why = "the user's mobility policy has EnablePushNotifications = False";
    if (!why.empty()) {
      row["ok"] = false;
      row["status"] = 0;
      row["reason"] = why;
      row["latencyMs"] = 0;
      out.emplace_back(std::move(row));
      continue;
    }
    const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(config_.push.ttl_seconds);
    // A PushKit token only takes VoIP pushes (see deliver()).
    Notification sent = n;
    if (r.voip) sent.tier = Tier::urgent;
    const Message message{&r, &sent, text, expires};
    const Delivery d = co_await p->send(message);
    const std::string error = d.ok ? std::string() : d.reason;
    if (d.unregistered) co_await forget(r, d.reason);
    else co_await record(r.id, d.ok, d.status, error);
    row["ok"] = d.ok;
    row["status"] = d.status;
    row["reason"] = d.ok ? std::string("delivered") : d.reason;
    row["latencyMs"] = static_cast<double>(d.latency.count()) / 1000.0;
    if (d.unregistered) row["registrationDeleted"] = true;
    out.emplace_back(std::move(row));
  }
  if (!device.empty() && out.empty()) throw NotFound("no push registration " + device + " for " + user);
  co_return out;
}

// ---- the module's face -------------------------------------------------------------------------

std::shared_ptr<PushService> start_push(api::Engine& engine, const Config& config,
                                        http::SiteRouters& routers, asio::any_io_executor executor) {
  auto service = std::make_shared<PushService>(engine, config, std::move(executor));
  service->register_routes(routers);
  engine.set_event_observer([weak = std::weak_ptr<PushService>(service)](api::Application& app,
                                                                        const events::Event& e) {
    if (auto s = weak.lock()) s->observe(app, e);
  });
  std::vector<std::string> names = configured_providers(*service);
  logger("push")->info("push providers configured: {} (each also needs `parley config set push`)",
                       names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
  return service;
}

const PushCounters& counters(const PushService& service) { return service.counters_; }

std::vector<std::string> configured_providers(const PushService& service) {
  std::vector<std::string> out;
  for (const char* name : {"apns", "fcm", "webpush"})
    if (service.provider(name)) out.emplace_back(name);
  return out;
}

asio::awaitable<json::array> push_status(PushService& service, std::string user) {
  return service.status(std::move(user));
}

asio::awaitable<json::array> test_push(PushService& service, std::string user, std::string device) {
  return service.test(std::move(user), std::move(device));
}

}  // namespace parley::push
