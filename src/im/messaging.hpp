#pragma once
// Instant messaging in the UCWA web API (UCWA.md §5.3, §5.4): starting a conversation with a
// messaging invitation that rings every available endpoint of the recipient (MPOP), accepting on
// one of them, sending plain and HTML messages (sanitized, durably stored before they are
// acknowledged), typing, adding participants, leaving. History and missed items are read through
// history_routes.hpp; this service writes them.

#include "api/engine.hpp"
#include "http/router.hpp"

#include <memory>

namespace parley::im {

struct MessagingLimits {
  std::chrono::milliseconds ring_timeout{30000};   // unanswered invitation (UCWA.md §4 "30 s")
  std::chrono::milliseconds typing_timeout{6000};  // a participant shows as typing this long
  std::size_t max_message_bytes = 64 * 1024;
  unsigned retention_days = 0;  // 0: history is kept; else older messages are purged hourly
};

class MessagingService;

// continueMessaging (UCWA.md §5.8): starts a new messaging invitation to the other participant
// of a history entry, with its subject and thread; answers as startMessaging does.
boost::asio::awaitable<http::Response> continue_messaging(MessagingService& service, http::Request& req,
                                                          api::Application& app,
                                                          const storage::ConversationLogRecord& log);

// Creates the service (kept alive by its routes and hooks) and registers its routes on the
// engine; returns it for the history's continueMessaging.
std::shared_ptr<MessagingService> register_messaging_routes(api::Engine& engine,
                                                            http::SiteRouters& routers,
                                                            MessagingLimits limits);

}  // namespace parley::im
