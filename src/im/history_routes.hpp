#pragma once
// Server-side conversation history in the UCWA web API (UCWA.md §5.8): the user's
// conversationLogs (paged, newest first), one conversationLog, its transcripts (paged, oldest
// first), markAsRead, DELETE (hides the entry for this user only), continueMessaging (when the
// messaging service provides it) and missedItems with its `missedItems updated` event.
//
// History is per user, not per application: every device of a user sees the same entries and
// the same read state. The messaging service writes history; these routes only read it and
// change the owner's own read/deleted state.

#include "api/engine.hpp"
#include "http/router.hpp"
#include "storage/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <string>

namespace parley::im {

// Resumes a conversation from its history entry (POST .../{c}/continueMessaging). Called only
// for an entry the application's owner has; it answers as the messaging service's
// startMessaging does (201 + Location of the operation) or throws ApiError.
using ContinueMessaging = std::function<boost::asio::awaitable<http::Response>(
    http::Request&, api::Application&, const storage::ConversationLogRecord&)>;

// Registers every route above on `routers`. With an empty `continue_messaging`, the
// continueMessaging route is not registered and conversationLog resources carry no
// continueMessaging link.
void register_history_routes(api::Engine& engine, http::SiteRouters& routers,
                             ContinueMessaging continue_messaging = {});

// Pushes `missedItems updated` (high priority, the missedItems resource embedded with the
// current counts) to every application of `user`. The store call runs on the engine's blocking
// pool. For the messaging service after a missed conversation or a read-state change. Throws
// what the store throws.
boost::asio::awaitable<void> announce_missed_items(api::Engine& engine, std::string user);

// The same from any thread or non-coroutine context: spawned on engine.executor(), errors
// logged. Does nothing when the engine has not been started (no executor yet).
void announce_missed_items_later(api::Engine& engine, std::string user);

}  // namespace parley::im
