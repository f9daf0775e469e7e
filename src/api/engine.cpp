#include "api/engine.hpp"

#include "api/batch.hpp"
#include "api/engine_impl.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>

namespace parley::api {

namespace asio = boost::asio;

std::string_view to_string(DeviceClass d) {
  switch (d) {
    case DeviceClass::phone: return "Phone";
    case DeviceClass::tablet: return "Tablet";
    case DeviceClass::desktop: return "Desktop";
    case DeviceClass::browser: return "Browser";
  }
  return "Browser";
}

DeviceClass classify_device(std::string_view type, std::string_view user_agent) {
  const std::string t = lower(trim(type));
  if (t == "phone" || t == "mobile" || t == "iphone" || t == "android") return DeviceClass::phone;
  if (t == "tablet" || t == "ipad") return DeviceClass::tablet;
  if (t == "desktop" || t == "windows" || t == "macintosh") return DeviceClass::desktop;
  if (t == "browser" || t == "web") return DeviceClass::browser;
  // No usable type: the user agent tells. Tablets first: an iPad's agent may also say "Mobile".
  const std::string ua = lower(user_agent);
  auto has = [&ua](std::string_view s) { return ua.find(s) != std::string::npos; };
  if (has("ipad") || has("tablet") || (has("android") && !has("mobile"))) return DeviceClass::tablet;
  if (has("iphone") || has("android") || has("windows phone") || has("mobile"))
    return DeviceClass::phone;
  if (has("mozilla/") || has("chrome/") || has("safari/") || has("firefox/"))
    return DeviceClass::browser;
  return DeviceClass::desktop;
}

bool android_agent(std::string_view type, std::string_view user_agent) {
  return lower(type).find("android") != std::string::npos ||
         lower(user_agent).find("android") != std::string::npos;
}

// ---- Application -------------------------------------------------------------------------

Application::Application(std::string id, std::string owner, std::string culture,
                         std::string endpoint_id, std::string user_agent, std::string type,
                         DeviceClass device, std::string base)
    : id_(std::move(id)), owner_(std::move(owner)), culture_(std::move(culture)),
      endpoint_id_(std::move(endpoint_id)), user_agent_(std::move(user_agent)),
      type_(std::move(type)), device_(device), android_(android_agent(type_, user_agent_)),
      base_(std::move(base)),
      p_(std::make_unique<Private>()) {}

Application::~Application() = default;

bool Application::long_session() const {
  return mobile(device_) && p_->push_registered.load(std::memory_order_relaxed);
}

void Application::push(const events::Event& e) {
  if (p_->push_registered.load(std::memory_order_relaxed) && p_->observer) (*p_->observer)(*this, e);
  std::lock_guard lock(p_->mutex);
  if (p_->gone) return;
  for (auto& [instance, channel] : p_->channels) channel->push(e);
}

void Application::push(events::Event&& e) {
  if (p_->push_registered.load(std::memory_order_relaxed) && p_->observer) (*p_->observer)(*this, e);
  std::lock_guard lock(p_->mutex);
  if (p_->gone || p_->channels.empty()) return;
  auto last = std::prev(p_->channels.end());
  for (auto it = p_->channels.begin(); it != last; ++it) it->second->push(e);
  last->second->push(std::move(e));
}

bool Application::available() const {
  std::lock_guard lock(p_->mutex);
  return p_->available;
}

// ---- Engine ------------------------------------------------------------------------------

events::ChannelLimits Engine::Impl::channel_limits() const {
  events::ChannelLimits l;
  l.max_pending_events = ctx.config->ucwa.max_pending_events;
  l.batch_delay = std::chrono::milliseconds(ctx.config->ucwa.batch_delay_ms);
  l.time_scale = ctx.config->ucwa.time_scale;
  return l;
}

std::shared_ptr<Application> Engine::Impl::find_by_endpoint(std::string_view user,
                                                           std::string_view endpoint_id) const {
  std::shared_lock lock(mutex);
  auto it = by_user.find(std::string(user));
  if (it == by_user.end()) return nullptr;
  for (const auto& id : it->second)
    if (auto a = apps.find(id); a != apps.end() && a->second->endpoint_id() == endpoint_id)
      return a->second;
  return nullptr;
}

std::string Engine::Impl::webticket_url(http::Site site) const {
  return (site == http::Site::internal ? ctx.internal_https_base : ctx.external_https_base) +
         "/WebTicket/oauthtoken";
}

void Engine::Impl::insert(const std::shared_ptr<Application>& app) {
  std::unique_lock lock(mutex);
  auto& ids = by_user[app->owner()];
  if (ids.size() >= ctx.config->ucwa.max_applications_per_user)
    throw Forbidden("at most " + std::to_string(ctx.config->ucwa.max_applications_per_user) +
                        " applications may run at once for one user; delete one first",
                    "TooManyApplications");
  ids.push_back(app->id());
  app->state().observer = observer;
  apps.emplace(app->id(), app);
}

void Engine::Impl::remove(const std::shared_ptr<Application>& app) {
  {
    std::unique_lock lock(mutex);
    if (apps.erase(app->id()) == 0) return;
    auto it = by_user.find(app->owner());
    if (it != by_user.end()) {
      std::erase(it->second, app->id());
      if (it->second.empty()) by_user.erase(it);
    }
  }
  std::vector<std::shared_ptr<events::EventChannel>> channels;
  bool was_available = false;
  {
    std::lock_guard lock(app->state().mutex);
    app->state().gone = true;
    was_available = app->state().available;
    app->state().available = false;
    for (auto& [instance, channel] : app->state().channels) channels.push_back(channel);
  }
  for (auto& c : channels) c->close();
  ctx.presence->unwatch(app->owner(), "self/" + app->id());
  if (was_available) ctx.presence->remove_endpoint(app->owner(), app->id());
  run_reset_hooks(*app);
}

namespace {
constexpr std::size_t kMaxTombstones = 100000;
}  // namespace

void Engine::Impl::revoke(const std::shared_ptr<Application>& app, http::Response answer) {
  {
    std::lock_guard lock(tombstones_mutex);
    if (tombstones.size() >= kMaxTombstones) {
      // Drop the oldest; a client that waited this long gets 404 like any expired application.
      auto oldest = tombstones.begin();
      for (auto it = tombstones.begin(); it != tombstones.end(); ++it)
        if (it->second.at < oldest->second.at) oldest = it;
      tombstones.erase(oldest);
    }
    tombstones[app->id()] = Tombstone{app->owner(), answer, std::chrono::steady_clock::now()};
  }
  std::vector<std::shared_ptr<events::EventChannel>> channels;
  {
    std::lock_guard lock(app->state().mutex);
    for (auto& [instance, channel] : app->state().channels) channels.push_back(channel);
  }
  for (auto& c : channels) c->close(answer);
  remove(app);
}

std::optional<http::Response> Engine::Impl::revoked_answer(std::string_view id, std::string_view user) {
  std::lock_guard lock(tombstones_mutex);
  auto it = tombstones.find(std::string(id));
  if (it == tombstones.end() || it->second.owner != user) return std::nullopt;
  auto answer = std::move(it->second.answer);
  tombstones.erase(it);
  return answer;
}

void Engine::Impl::run_reset_hooks(Application& app) {
  std::vector<std::function<void(Application&)>> hooks;
  {
    std::lock_guard lock(hooks_mutex);
    hooks = reset_hooks;
  }
  for (auto& h : hooks) h(app);
}

void Engine::Impl::expire_idle() {
  using namespace std::chrono;
  const auto& u = ctx.config->ucwa;
  const auto now = steady_clock::now();
  std::vector<std::shared_ptr<Application>> expired;
  {
    std::shared_lock lock(mutex);
    for (const auto& [id, app] : apps) {
      auto& p = app->state();
      if (p.in_flight.load() > 0) continue;  // a request (or a waiting P-GET) is being served
      std::lock_guard app_lock(p.mutex);
      seconds limit{u.idle_timeout_without_event_channel};
      if (p.used_event_channel) {
        // Set-CsMcxConfiguration, global or for the user's site, as it is now.
        const auto mcx = ctx.policies->mcx(p.user.profile.site);
        limit = seconds(app->long_session() ? mcx.session_expiration_interval
                                            : mcx.session_short_expiration_interval);
      }
      if (now - p.last_request > engine->scaled(duration_cast<milliseconds>(limit)))
        expired.push_back(app);
    }
  }
  for (auto& app : expired) {
    logger("ucwa")->info("application {} of {} ({}) expired after inactivity", app->id(),
                         app->owner(), to_string(app->device()));
    remove(app);
  }
}

void Engine::Impl::tick() {
  ctx.presence->tick();
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(hooks_mutex);
    hooks = tick_hooks;
  }
  for (auto& h : hooks) h();
  const auto now = std::chrono::steady_clock::now();
  if (now - last_expiry_check >= std::chrono::seconds(ctx.config->ucwa.expiry_check_seconds)) {
    last_expiry_check = now;
    expire_idle();
  }
}

Engine::Engine(EngineContext ctx) : ctx_(std::move(ctx)), impl_(std::make_unique<Impl>()) {
  if (!ctx_.config || !ctx_.store || !ctx_.pool || !ctx_.tokens || !ctx_.presence ||
      !ctx_.policies)
    throw std::invalid_argument("api::Engine: incomplete context");
  impl_->engine = this;
  impl_->ctx = ctx_;
  impl_->last_expiry_check = std::chrono::steady_clock::now();
}

Engine::~Engine() = default;

std::chrono::milliseconds Engine::scaled(std::chrono::milliseconds protocol) const {
  return protocol / std::max(1u, ctx_.config->ucwa.time_scale);
}

std::shared_ptr<Application> Engine::find(std::string_view id) const {
  std::shared_lock lock(impl_->mutex);
  auto it = impl_->apps.find(std::string(id));
  return it == impl_->apps.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Application>> Engine::applications_of(std::string_view user) const {
  std::vector<std::shared_ptr<Application>> out;
  std::shared_lock lock(impl_->mutex);
  auto it = impl_->by_user.find(std::string(user));
  if (it == impl_->by_user.end()) return out;
  for (const auto& id : it->second)
    if (auto a = impl_->apps.find(id); a != impl_->apps.end()) out.push_back(a->second);
  return out;
}

std::size_t Engine::application_count() const {
  std::shared_lock lock(impl_->mutex);
  return impl_->apps.size();
}

Engine::Counts Engine::counts() const {
  Counts c;
  std::shared_lock lock(impl_->mutex);
  c.applications = impl_->apps.size();
  for (const auto& [id, app] : impl_->apps) {
    std::lock_guard app_lock(app->state().mutex);
    if (app->state().available) ++c.available;
    for (const auto& [instance, channel] : app->state().channels)
      if (channel->parked()) ++c.parked_channels;
  }
  return c;
}

void Engine::mobility_policy_changed() {
  std::vector<std::shared_ptr<Application>> apps;
  {
    std::shared_lock lock(impl_->mutex);
    for (const auto& [id, app] : impl_->apps)
      if (mobile(app->device())) apps.push_back(app);
  }
  for (auto& app : apps) {
    std::string site;
    {
      std::lock_guard lock(app->state().mutex);
      site = app->state().user.profile.site;
    }
    if (ctx_.policies->mobility(app->owner(), site).enable_mobility) continue;
    logger("ucwa")->info("application {} of {} ended: mobility is no longer allowed for the user",
                         app->id(), app->owner());
    impl_->revoke(app, http::error_response(403, "Forbidden", "MobileApplicationNoLongerAllowed",
                                            "this user may no longer use a mobile application"));
  }
}

std::vector<Engine::Session> Engine::sessions() const {
  std::vector<std::shared_ptr<Application>> apps;
  {
    std::shared_lock lock(impl_->mutex);
    for (const auto& [id, app] : impl_->apps) apps.push_back(app);
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<Session> out;
  out.reserve(apps.size());
  for (const auto& app : apps) {
    auto& p = app->state();
    Session s;
    s.id = app->id();
    s.user = app->owner();
    s.device_class = std::string(to_string(app->device()));
    s.user_agent = app->user_agent();
    std::lock_guard lock(p.mutex);
    s.site = p.user.profile.site;
    s.client_network_type = p.network.client_network_type;
    s.network_type = p.network.network_type;
    s.idle_seconds = p.in_flight.load() > 0
                         ? 0
                         : std::chrono::duration_cast<std::chrono::seconds>(now - p.last_request).count();
    s.available = p.available;
    s.event_channels = p.channels.size();
    for (const auto& [instance, channel] : p.channels) s.parked = s.parked || channel->parked();
    out.push_back(std::move(s));
  }
  return out;
}

bool Engine::end_session(std::string_view id) {
  auto app = find(id);
  if (!app) return false;
  impl_->remove(app);
  return true;
}

void Engine::sign_out_user(std::string_view user) {
  for (auto& app : applications_of(user)) impl_->remove(app);
}

void Engine::set_event_observer(EventObserver observer) {
  impl_->observer = std::make_shared<const EventObserver>(std::move(observer));
}

void Engine::on_reset(std::function<void(Application&)> hook) {
  std::lock_guard lock(impl_->hooks_mutex);
  impl_->reset_hooks.push_back(std::move(hook));
}

void Engine::on_tick(std::function<void()> hook) {
  std::lock_guard lock(impl_->hooks_mutex);
  impl_->tick_hooks.push_back(std::move(hook));
}

// UCWA.md §0 "Versioning": a client may demand a minimum resource revision. Parley serves
// revision 2 everywhere; "2.0", as one SDK always sends, is the same thing.
void check_min_version(const http::Request& req) {
  const std::string_view v = trim(req.headers.get("X-MS-RequiresMinResourceVersion"));
  if (v.empty()) return;
  double wanted = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), wanted);
  if (ec != std::errc() || ptr != v.data() + v.size())
    throw BadRequest("X-MS-RequiresMinResourceVersion must be a number");
  if (wanted > 2.0)
    throw NotFound("this server offers resource revision 2", "APIVersionNotSupported");
}

namespace {

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name)
      return std::string(pair.substr(eq + 1, 512));
  }
  return {};
}

asio::awaitable<void> tick_loop(Engine::Impl* impl, std::chrono::milliseconds period) {
  auto& timer = *impl->ticker;
  while (!impl->stopping) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || impl->stopping) co_return;
    impl->tick();
  }
}

}  // namespace

void Engine::start(asio::any_io_executor executor) {
  impl_->ticker = std::make_unique<asio::steady_timer>(executor);
  const auto period =
      std::max(std::chrono::milliseconds(20), scaled(std::chrono::milliseconds(1000)));
  asio::co_spawn(executor, tick_loop(impl_.get(), period), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      logger("ucwa")->error("periodic work stopped by an unexpected error: {}", ex.what());
    }
  });
}

boost::asio::any_io_executor Engine::executor() const {
  return impl_->ticker ? impl_->ticker->get_executor() : boost::asio::any_io_executor{};
}

void Engine::shutdown() {
  impl_->stopping = true;
  if (impl_->ticker) asio::post(impl_->ticker->get_executor(), [t = impl_->ticker.get()] { t->cancel(); });
  std::vector<std::shared_ptr<events::EventChannel>> channels;
  {
    std::shared_lock lock(impl_->mutex);
    for (const auto& [id, app] : impl_->apps) {
      std::lock_guard app_lock(app->state().mutex);
      for (auto& [instance, c] : app->state().channels) channels.push_back(c);
    }
  }
  for (auto& c : channels) c->release_all();
}

void Engine::add_route(http::SiteRouters& routers, std::string_view method, std::string_view suffix,
                       AppHandler handler) {
  auto impl = impl_.get();
  auto shared_handler = std::make_shared<AppHandler>(std::move(handler));
  // Photos are fetched by <img> elements, which cannot send a header: their path also accepts
  // the cwt_ucwa cookie set at application creation (UCWA.md §0 "Photos").
  const bool cookie_auth = suffix.starts_with("/photos/");
  http::Handler wrapped = [impl, shared_handler, cookie_auth](http::Request& req) -> asio::awaitable<http::Response> {
    if (cookie_auth && !req.headers.has("Authorization")) {
      const std::string token = cookie_value(req.headers.get("Cookie"), "cwt_ucwa");
      if (!token.empty()) req.headers.set("Authorization", "Bearer " + token);
    }
    auto who = co_await impl->ctx.tokens->authenticate(req);
    if (!who) {
      const std::string url = impl->webticket_url(req.site);
      co_return auth::challenge_response(url, "a valid bearer token is required");
    }
    check_min_version(req);
    auto app = impl->engine->find(req.params["app"]);
    if (!app) {
      if (auto answer = impl->revoked_answer(req.params["app"], who->sip_uri)) co_return *answer;
    }
    if (!app || app->owner() != who->sip_uri)
      throw NotFound("no such application (it may have expired); create a new one",
                     "ApplicationNotFound");
    auto& p = app->state();
    ++p.in_flight;
    struct Done {
      Application::Private& p;
      ~Done() {
        {
          std::lock_guard lock(p.mutex);
          p.last_request = std::chrono::steady_clock::now();
        }
        --p.in_flight;
      }
    } done{p};
    {
      std::lock_guard lock(p.mutex);
      p.last_request = std::chrono::steady_clock::now();
    }
    http::Response res = co_await (*shared_handler)(req, *app);
    co_return res;
  };
  for (std::string_view prefix : {"/ucwa/oauth/v1/applications/{app}", "/ucwa/v1/applications/{app}"}) {
    const std::string pattern = std::string(prefix) + std::string(suffix);
    routers.internal.add(method, pattern, wrapped);
    routers.external.add(method, pattern, wrapped);
  }
}

void Engine::register_routes(http::SiteRouters& routers) {
  register_application_routes(*this, *impl_, routers);
  register_me_routes(*this, *impl_, routers);
  register_relay_routes(*this, *impl_, routers);
  register_batch_route(*this, routers);
}

}  // namespace parley::api
