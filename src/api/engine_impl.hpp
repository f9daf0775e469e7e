#pragma once
// Engine::Impl, shared by engine.cpp (registry, authentication, expiry) and the route files.

#include "api/application_state.hpp"
#include "api/engine.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::api {

struct Engine::Impl {
  Engine* engine = nullptr;
  EngineContext ctx;

  mutable std::shared_mutex mutex;  // guards apps and by_user
  std::unordered_map<std::string, std::shared_ptr<Application>> apps;
  std::unordered_map<std::string, std::vector<std::string>> by_user;

  std::mutex hooks_mutex;
  std::vector<std::function<void(Application&)>> reset_hooks;
  std::vector<std::function<void()>> tick_hooks;
  std::shared_ptr<const EventObserver> observer;

  std::unique_ptr<boost::asio::steady_timer> ticker;
  std::atomic<bool> stopping{false};
  std::chrono::steady_clock::time_point last_expiry_check{};

  events::ChannelLimits channel_limits() const;
  // The user's application created by `endpoint_id`, if one runs.
  std::shared_ptr<Application> find_by_endpoint(std::string_view user, std::string_view endpoint_id) const;
  // Inserts a new application; throws Forbidden/TooManyApplications over the per-user limit.
  void insert(const std::shared_ptr<Application>& app);
  // Removes the application everywhere (DELETE, expiry): channels closed, presence endpoint
  // gone, reset hooks run. No-op when it is already gone.
  void remove(const std::shared_ptr<Application>& app);
  void run_reset_hooks(Application& app);
  // Removes the application and remembers why: its waiting event channel and its owner's next
  // request for it get `answer` instead of 404 (UCWA.md §0, MobileApplicationNoLongerAllowed).
  void revoke(const std::shared_ptr<Application>& app, http::Response answer);
  // The answer remembered for a revoked application of `user`, if any (consumed).
  std::optional<http::Response> revoked_answer(std::string_view id, std::string_view user);

  struct Tombstone {
    std::string owner;
    http::Response answer;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex tombstones_mutex;
  std::unordered_map<std::string, Tombstone> tombstones;  // bounded: kMaxTombstones, oldest go
  void tick();
  void expire_idle();

  // The owner's directory entry (cached in the application for a minute). Throws NotFound
  // ApplicationNotFound when the user is gone or disabled.
  boost::asio::awaitable<storage::User> owner(Application& app);

  // The web-ticket URL a 401 on this site names.
  std::string webticket_url(http::Site site) const;
};

// Throws NotFound/APIVersionNotSupported when X-MS-RequiresMinResourceVersion asks for more than
// this server's revision (2).
void check_min_version(const http::Request& req);

// Routes of the files beside engine.cpp.
void register_application_routes(Engine& engine, Engine::Impl& impl, http::SiteRouters& routers);
void register_me_routes(Engine& engine, Engine::Impl& impl, http::SiteRouters& routers);
void register_relay_routes(Engine& engine, Engine::Impl& impl, http::SiteRouters& routers);

}  // namespace parley::api
