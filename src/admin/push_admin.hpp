#pragma once
// The admin API's view of push notifications (docs/admin-api.md): a user's registered devices
// with their health, and a test notification through the real pipeline (`parley push status`,
// `parley test-push`, the counterpart of Test-CsMcxPushNotification).

#include "admin/admin_api.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <functional>
#include <string>

namespace parley::admin {

struct PushAdmin {
  std::function<boost::asio::awaitable<boost::json::array>(std::string user)> status;
  std::function<boost::asio::awaitable<boost::json::array>(std::string user, std::string device)> test;
};

// GET  /admin/v1/users/{sip}/push       → {"user", "devices": [...]}
// POST /admin/v1/users/{sip}/push/test  {"device"?: id} → {"user", "results": [...]}
void register_push_admin_routes(http::Router& internal, const AdminContext& ctx, PushAdmin push);

}  // namespace parley::admin
