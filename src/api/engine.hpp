#pragma once
// The UCWA web API's core (UCWA.md §3): applications, who owns them, how long they live, and
// the routes under `{app}` = /ucwa/oauth/v1/applications/{id} (and /ucwa/v1/applications/{id}).
// Every route registered through the engine checks the bearer token and that the application
// belongs to the token's user before the handler runs; another user's application is, to the
// caller, an application that does not exist (404 ApplicationNotFound).

#include "auth/token_service.hpp"
#include "common/config.hpp"
#include "events/event_channel.hpp"
#include "policy/policy_service.hpp"
#include "http/router.hpp"
#include "presence/hub.hpp"
#include "runtime/blocking_pool.hpp"
#include "storage/store.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace parley::api {

// From `type`, else from `userAgent` (UCWA.md §3.1 `type`).
enum class DeviceClass { phone, tablet, desktop, browser };
std::string_view to_string(DeviceClass d);
DeviceClass classify_device(std::string_view type, std::string_view user_agent);
// Phones and tablets get the long session expiry (SessionExpirationInterval).
inline bool mobile(DeviceClass d) { return d == DeviceClass::phone || d == DeviceClass::tablet; }
// Whether the user agent says Android. As in Skype for Business, Android devices keep the short
// session (SessionShortExpirationInterval) until they can be reached by push.
bool android_agent(std::string_view type, std::string_view user_agent);

class Application;
// Sees the events queued for applications whose device registered for push (api/application_state.hpp).
using EventObserver = std::function<void(Application&, const events::Event&)>;

// One UCWA application. Identity fields never change after creation; the rest is guarded by the
// application's own mutex.
class Application {
public:
  using Clock = std::chrono::steady_clock;

  const std::string& id() const { return id_; }
  const std::string& owner() const { return owner_; }  // "alice@example.org"
  const std::string& culture() const { return culture_; }
  const std::string& endpoint_id() const { return endpoint_id_; }
  const std::string& user_agent() const { return user_agent_; }
  const std::string& type() const { return type_; }
  DeviceClass device() const { return device_; }
  bool android() const { return android_; }
  // Whether SessionExpirationInterval applies (else SessionShortExpirationInterval): phones and
  // tablets that registered for push notifications and so can be woken without their event
  // channel (UCWA.md §5.10).
  bool long_session() const;
  // "/ucwa/oauth/v1/applications/{id}" (or the /ucwa/v1 form the application was created on).
  const std::string& base() const { return base_; }
  std::string href(std::string_view suffix) const {
    std::string out;
    out.reserve(base_.size() + suffix.size());
    out += base_;
    out += suffix;
    return out;
  }

  // Queues an event on every instance's event channel.
  void push(const events::Event& e);
  void push(events::Event&& e);  // the last channel takes it without a copy
  // True once makeMeAvailable succeeded (and until the application goes).
  bool available() const;

  struct Private;  // engine-side state (api/application_state.hpp)
  Private& state() const { return *p_; }

  Application(std::string id, std::string owner, std::string culture, std::string endpoint_id,
              std::string user_agent, std::string type, DeviceClass device, std::string base);
  ~Application();

private:
  const std::string id_, owner_, culture_, endpoint_id_, user_agent_, type_;
  const DeviceClass device_;
  const bool android_;
  const std::string base_;
  std::unique_ptr<Private> p_;
};

using AppHandler =
    std::function<boost::asio::awaitable<http::Response>(http::Request&, Application&)>;

// What the engine is built from. Every pointer must outlive it.
struct EngineContext {
  const Config* config = nullptr;
  storage::Store* store = nullptr;
  runtime::BlockingPool* pool = nullptr;
  auth::TokenService* tokens = nullptr;
  presence::Hub* presence = nullptr;
  policy::PolicyService* policies = nullptr;
  std::string internal_https_base;  // for the web-ticket URL of 401 challenges
  std::string external_https_base;
};

class Engine {
public:
  explicit Engine(EngineContext ctx);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Registers the application routes (create, GET, DELETE, events, me, policies, photos) on the
  // HTTPS routers of both sites.
  void register_routes(http::SiteRouters& routers);

  // Adds `method suffix` under both application prefixes, e.g. ("GET", "/people/search"); the
  // suffix may hold "{name}" segments. The handler runs with the authenticated, owned
  // application; it may throw ApiError.
  void add_route(http::SiteRouters& routers, std::string_view method, std::string_view suffix,
                 AppHandler handler);

  std::shared_ptr<Application> find(std::string_view id) const;
  std::vector<std::shared_ptr<Application>> applications_of(std::string_view user) const;
  std::size_t application_count() const;
  struct Counts {
    std::size_t applications = 0;
    std::size_t available = 0;       // made available (have presence)
    std::size_t parked_channels = 0; // event channels with a pending GET now
  };
  Counts counts() const;

  // The mobility policy changed: mobile applications whose user may no longer use mobility are
  // ended, and they learn why (403 MobileApplicationNoLongerAllowed) on their waiting event
  // channel or their next request. Safe from any thread.
  void mobility_policy_changed();

  // What an administrator sees of the running applications; ends one (false when unknown).
  struct Session {
    std::string id, user, device_class, user_agent, site, client_network_type, network_type;
    std::int64_t idle_seconds = 0;
    bool available = false;
    std::size_t event_channels = 0;
    bool parked = false;
  };
  std::vector<Session> sessions() const;
  bool end_session(std::string_view id);

  // Signs every application of the user out (her account was disabled, removed or its password
  // changed). Safe from any thread.
  void sign_out_user(std::string_view user);

  // Called (without engine locks held) when an application goes (DELETE, expiry) and when its
  // transient state is reset (a P-GET after a long gap answers `resume`): subscriptions and other
  // per-application state of other modules must be dropped.
  void on_reset(std::function<void(Application&)> hook);
  // Events queued for push-registered applications are shown to `observer` (set before serving).
  void set_event_observer(EventObserver observer);

  // Starts the periodic work (expiry, presence transitions, `on_tick` hooks) on `executor`.
  void start(boost::asio::any_io_executor executor);
  // Where the engine's periodic work runs (set by start(); empty before).
  boost::asio::any_io_executor executor() const;
  // Hooks run on every tick (about once per protocol second, faster with time_scale).
  void on_tick(std::function<void()> hook);
  // Releases every waiting P-GET and stops the periodic work (SIGTERM).
  void shutdown();

  // Protocol seconds to real time (divided by config.ucwa.time_scale).
  std::chrono::milliseconds scaled(std::chrono::milliseconds protocol) const;

  const EngineContext& context() const { return ctx_; }

  struct Impl;

private:
  EngineContext ctx_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::api
