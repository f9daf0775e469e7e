#pragma once
// The push service behind push_service.hpp, shared by push_service.cpp (delivery) and
// push_routes.cpp (the registration resource). Internal to parley_push.

#include "push/push_service.hpp"

#include "policy/policy.hpp"
#include "push/notification.hpp"
#include "push/providers.hpp"

#include <boost/json/object.hpp>

namespace parley::push {

class PushService : public std::enable_shared_from_this<PushService> {
public:
  using Clock = std::chrono::steady_clock;

  PushService(api::Engine& engine, const Config& config, boost::asio::any_io_executor executor);

  void register_routes(http::SiteRouters& routers);
  void observe(api::Application& app, const events::Event& e);
  boost::asio::awaitable<boost::json::array> status(std::string user);
  boost::asio::awaitable<boost::json::array> test(std::string user, std::string device);

  Provider* provider(std::string_view name) const;

private:
  friend const PushCounters& counters(const PushService& service);

  struct Who {
    policy::MobilityPolicy policy;
    policy::PushConfig push;
    std::string display_from;
    std::int64_t badge = 0;  // unread missed items
  };

  bool enabled(const policy::PushConfig& c, std::string_view name) const;
  // Why `name` cannot be used for this site (not configured, switched off); empty when it can.
  std::string why_not(const policy::PushConfig& c, std::string_view name) const;

  static boost::asio::awaitable<void> watch(std::shared_ptr<PushService> self, std::string app_id,
                                            std::string owner, std::string endpoint_id,
                                            Clock::time_point queued, Notification n);
  boost::asio::awaitable<void> deliver(std::string owner, std::string endpoint_id, Notification n);
  boost::asio::awaitable<Who> context_of(std::string owner, std::string from);
  boost::asio::awaitable<void> record(std::string id, bool success, long status, std::string error);
  boost::asio::awaitable<void> forget(storage::PushRegistration reg, std::string reason);
  boost::asio::awaitable<void> forget_voip_token(storage::PushRegistration reg, long status,
                                                std::string reason);

  // The resource as the API and the admin API show it.
  boost::json::object registration_json(const storage::PushRegistration& r, std::string_view self_href) const;

  api::Engine& engine_;
  api::EngineContext ctx_;
  const Config& config_;
  boost::asio::any_io_executor executor_;
  std::unique_ptr<Provider> apns_, fcm_, webpush_;
  std::string vapid_public_;  // base64url, for pushManager.subscribe()
  PushCounters counters_;
};

}  // namespace parley::push
