#pragma once
// The UCWA `people` resources (UCWA.md §5.2) as routes of the web API: directory search,
// contacts and their presence, the user's contact groups and memberships, the contact-list
// subscription and per-application presence subscriptions.

#include "api/engine.hpp"
#include "http/router.hpp"

namespace parley::presence {

// Creates the module's state (kept alive by the handlers and hooks it registers) and registers
// every `{app}/people...` route on `routers`, plus the engine's reset and tick hooks that end
// subscriptions.
void register_people_routes(api::Engine& engine, http::SiteRouters& routers);

}  // namespace parley::presence
