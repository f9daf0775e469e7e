#pragma once
// JSON representations of server-side conversation history (UCWA.md §5.8): conversationLogs,
// conversationLog, conversationLogTranscripts and missedItems, plus the opaque paging cursor of
// the log list. Pure builders: every href is the application's base
// ("/ucwa/oauth/v1/applications/105") followed by the resource's suffix, so they can be tested
// without an engine. Users are named as the store names them ("bob@example.org").

#include "storage/store.hpp"

#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::im {

inline constexpr std::size_t kDefaultHistoryPage = 20;
inline constexpr std::size_t kMaxHistoryPage = 100;

// The `before` cursor of conversationLogs: base64url (no padding) of "updated_at_ms:id". Clients
// treat it as opaque; it only has to survive a round trip through a query string.
std::string encode_log_cursor(const storage::Store::LogCursor& cursor);
// nullopt for anything encode_log_cursor could not have produced (bad base64url, no ':', a time
// that is not a non-negative decimal, an empty or over-long id).
std::optional<storage::Store::LogCursor> decode_log_cursor(std::string_view text);

// "{base}/communication/conversationLogs"
std::string conversation_logs_href(std::string_view base);
// "{base}/communication/conversationLogs/{id}" (the id percent-encoded).
std::string conversation_log_href(std::string_view base, std::string_view conversation_id);
// "{base}/communication/missedItems"
std::string missed_items_href(std::string_view base);

// One history entry as its owner sees it. `continue_messaging`: whether the server can resume
// the conversation (the link is left out otherwise). Recipients are the participants other than
// the owner; each is a `conversationLogRecipient` link (always an array) to her contact.
boost::json::object conversation_log_json(std::string_view base,
                                          const storage::ConversationLogRecord& log,
                                          bool continue_messaging);

// A page of the owner's history, newest first. `more`: another page follows, so `next` links to
// it (same limit, before the page's last entry).
boost::json::object conversation_logs_json(std::string_view base,
                                           const std::vector<storage::ConversationLogRecord>& page,
                                           std::size_t limit,
                                           const std::optional<storage::Store::LogCursor>& before,
                                           bool more, bool continue_messaging);

// One message as a conversationLogTranscript: `me` when the owner sent it, else `contact`; the
// text as data URIs (plainMessage always, htmlMessage for Html messages).
boost::json::object transcript_json(std::string_view base, std::string_view owner,
                                    const storage::MessageRecord& message);

// A page of a conversation's transcripts, oldest first. `more`: nextConversationLogTranscripts
// links to the messages after the page's last one.
boost::json::object transcripts_json(std::string_view base, std::string_view owner,
                                     std::string_view conversation_id,
                                     const std::vector<storage::MessageRecord>& page,
                                     std::size_t limit, std::int64_t after, bool more);

// missedItems: the counts the store keeps; Parley has no voicemail, so those counts are 0.
boost::json::object missed_items_json(std::string_view base, const storage::MissedCounts& counts);

}  // namespace parley::im
