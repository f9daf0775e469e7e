#pragma once
// Instant messaging in the UCWA web API (UCWA.md §5.3, §5.4): starting a conversation with a
// messaging invitation that rings every available endpoint of the recipient (MPOP), accepting on
// one of them, sending plain and HTML messages (sanitized, durably stored before they are
// acknowledged), typing, adding participants, leaving. History and missed items are read through
// history_routes.hpp; this service writes them.

#include "api/engine.hpp"
#include "http/router.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace parley::im {

struct MessagingLimits {
  std::chrono::milliseconds ring_timeout{30000};   // unanswered invitation (UCWA.md §4 "30 s")
  std::chrono::milliseconds typing_timeout{6000};  // a participant shows as typing this long
  std::size_t max_message_bytes = 64 * 1024;
  unsigned retention_days = 0;  // 0: history is kept; else older messages are purged hourly
};

class MessagingService;

// Conversations another service keeps (calls, calls.hpp) share the conversation resources'
// routes with messaging: for an id messaging does not know, the routes ask each host. Every
// method is for `app`'s view and answers nullopt/false when the id is not the host's or `app` is
// not in it.
class ConversationHost {
public:
  virtual ~ConversationHost() = default;
  virtual std::optional<boost::json::object> conversation(const api::Application& app,
                                                          std::string_view id) = 0;
  // Conversations `app` is in (for `GET conversations`).
  virtual std::vector<boost::json::object> conversations(const api::Application& app) = 0;
  virtual std::optional<boost::json::object> participants(const api::Application& app,
                                                          std::string_view id) = 0;
  virtual std::optional<boost::json::object> participant(const api::Application& app,
                                                         std::string_view id,
                                                         std::string_view user) = 0;
  // DELETE conversation: leaves it (ending what it carries); false when not the host's.
  virtual bool leave(api::Application& app, std::string_view id) = 0;
  // Whether the conversation ended for `app` lately (410 rather than 404).
  virtual bool ended_for(const api::Application& app, std::string_view id) const = 0;
};
void add_conversation_host(MessagingService& service, std::shared_ptr<ConversationHost> host);

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
