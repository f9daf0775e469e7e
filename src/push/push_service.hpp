#pragma once
// Push notifications for applications in the background (UCWA.md §5.10; Parley's extension):
// devices register through `{app}/pushNotificationRegistration`; a high-priority event queued for
// an application that has had no P-GET outstanding for longer than the grace period wakes its
// device through APNs, FCM or Web Push. Retries with back-off within the TTL, deletes
// registrations the provider says are dead, and keeps each device's health for administrators
// (`parley push status`, `parley test-push`).

#include "api/engine.hpp"
#include "common/config.hpp"
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace parley::push {

class PushService;

struct PushCounters {
  std::atomic<std::uint64_t> sent{0}, failed{0}, retried{0}, expired{0}, unregistered{0};
};

// Creates the service: loads the configured keys (generating the VAPID key into
// <data_dir>/push/ when none is configured), registers the routes and the engine's event
// observer. Throws std::runtime_error when a configured key cannot be used.
std::shared_ptr<PushService> start_push(api::Engine& engine, const Config& config,
                                        http::SiteRouters& routers,
                                        boost::asio::any_io_executor executor);

const PushCounters& counters(const PushService& service);
std::vector<std::string> configured_providers(const PushService& service);

// For the admin API: the user's devices and their health.
boost::asio::awaitable<boost::json::array> push_status(PushService& service, std::string user);
// A test notification through the real pipeline to each of the user's devices (or the one whose
// registration id is `device`), waiting for the providers' answers: per device the provider,
// HTTP status, reason and latency. No retries.
boost::asio::awaitable<boost::json::array> test_push(PushService& service, std::string user,
                                                     std::string device);

}  // namespace parley::push
