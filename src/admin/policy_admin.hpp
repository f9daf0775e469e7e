#pragma once
// The admin API for policies, service configuration, live sessions and the audit trail
// (docs/admin-api.md), as the `parley policy|config|session|audit` verbs use it. Internal site
// only, like every admin route.

#include "admin/admin_api.hpp"
#include "http/router.hpp"
#include "policy/policy_service.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace parley::admin {

// One running UCWA application, as an administrator sees it.
struct SessionInfo {
  std::string id;
  std::string user;          // "alice@example.org"
  std::string device_class;  // "Phone" | "Tablet" | "Desktop" | "Browser"
  std::string user_agent;
  std::string site;          // the user's directory site; empty when none
  std::string client_network_type;  // reportMyNetwork: "Internal" | "External" | "" (never reported)
  std::string network_type;         // Parley extension: "Wifi" | "Cellular" | "Wired" | "Unknown" | ""
  std::int64_t idle_seconds = 0;    // since its last request (0 while a request is in progress)
  bool available = false;           // made itself available (publishes presence)
  std::size_t event_channels = 0;   // instances
  bool parked = false;              // a pending GET is held now
};

// What the engine offers the admin API about live sessions.
struct SessionDirectory {
  std::function<std::vector<SessionInfo>()> list;
  // Signs the application out; false when there is no such application.
  std::function<bool(const std::string& id)> end;
};

void register_policy_admin_routes(http::Router& internal, const AdminContext& ctx,
                                  policy::PolicyService& policies, SessionDirectory sessions);

}  // namespace parley::admin
