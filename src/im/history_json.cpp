#include "im/history_json.hpp"

#include "common/crypto.hpp"
#include "common/text.hpp"
#include "proto/ucwa/message_content.hpp"

#include <boost/json/array.hpp>

#include <charconv>

namespace parley::im {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxCursorIdBytes = 256;
constexpr std::size_t kMaxCursorChars = 512;

json::object link(std::string href) {
  json::object o;
  o["href"] = std::move(href);
  return o;
}

std::string date(std::int64_t ms) { return "/Date(" + std::to_string(ms) + ")/"; }

std::string people_href(std::string_view base, std::string_view user) {
  return std::string(base) + "/people/" + std::string(user);
}

}  // namespace

std::string encode_log_cursor(const storage::Store::LogCursor& cursor) {
  return base64url_encode(std::to_string(cursor.updated_at_ms) + ":" + cursor.conversation_id);
}

std::optional<storage::Store::LogCursor> decode_log_cursor(std::string_view text) {
  if (text.empty() || text.size() > kMaxCursorChars) return std::nullopt;
  auto raw = base64url_decode(text);
  if (!raw) return std::nullopt;
  const auto colon = raw->find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  storage::Store::LogCursor c;
  const char* first = raw->data();
  const char* last = raw->data() + colon;
  const auto [p, ec] = std::from_chars(first, last, c.updated_at_ms);
  if (ec != std::errc{} || p != last || c.updated_at_ms < 0 || (*first == '0' && colon > 1))
    return std::nullopt;
  c.conversation_id = raw->substr(colon + 1);
  if (c.conversation_id.empty() || c.conversation_id.size() > kMaxCursorIdBytes)
    return std::nullopt;
  return c;
}

std::string conversation_logs_href(std::string_view base) {
  return std::string(base) + "/communication/conversationLogs";
}

std::string conversation_log_href(std::string_view base, std::string_view conversation_id) {
  return conversation_logs_href(base) + "/" + percent_encode(conversation_id);
}

std::string missed_items_href(std::string_view base) {
  return std::string(base) + "/communication/missedItems";
}

json::object conversation_log_json(std::string_view base, const storage::ConversationLogRecord& log,
                                   bool continue_messaging) {
  json::array recipients;
  for (const auto& p : log.participants) {
    if (p == log.owner) continue;
    json::object r = link(people_href(base, p));
    r["title"] = p;
    recipients.emplace_back(std::move(r));
  }
  const std::string self = conversation_log_href(base, log.conversation_id);

  json::object o;
  o["rel"] = "conversationLog";
  o["creationTime"] = date(log.created_at_ms);
  o["direction"] = log.direction;
  o["importance"] = log.importance.empty() ? std::string("Normal") : log.importance;
  const bool call = log.type == "AudioLog" || log.type == "VideoLog";
  o["modalities"] = call ? json::array{"AudioVideo"} : json::array{"Messaging"};
  if (call) o["duration"] = log.duration_ms / 1000;  // Parley: seconds from answer to hang-up
  o["previewMessage"] = log.preview;
  o["status"] = log.status;
  o["subject"] = log.subject;
  o["threadId"] = log.thread_id;
  o["totalRecipientsCount"] = static_cast<std::int64_t>(recipients.size());
  o["type"] = log.type;
  o["isRead"] = log.read;  // Parley: read state is kept per user, so every device agrees

  json::object l;
  l["self"] = link(self);
  l["conversationLogTranscripts"] = link(self + "/transcripts");
  l["markAsRead"] = link(self + "/markAsRead");
  if (continue_messaging) l["continueMessaging"] = link(self + "/continueMessaging");
  l["conversationLogRecipient"] = std::move(recipients);
  o["_links"] = std::move(l);
  return o;
}

json::object conversation_logs_json(std::string_view base,
                                    const std::vector<storage::ConversationLogRecord>& page,
                                    std::size_t limit,
                                    const std::optional<storage::Store::LogCursor>& before,
                                    bool more, bool continue_messaging) {
  const std::string list = conversation_logs_href(base) + "?limit=" + std::to_string(limit);
  json::object l;
  l["self"] = link(before ? list + "&before=" + encode_log_cursor(*before) : list);
  if (more && !page.empty()) {
    const auto& last = page.back();
    l["next"] = link(list + "&before=" +
                     encode_log_cursor({last.updated_at_ms, last.conversation_id}));
  }
  json::array items;
  for (const auto& log : page)
    items.emplace_back(conversation_log_json(base, log, continue_messaging));

  json::object o;
  o["rel"] = "conversationLogs";
  o["_links"] = std::move(l);
  json::object e;
  e["conversationLog"] = std::move(items);
  o["_embedded"] = std::move(e);
  return o;
}

json::object transcript_json(std::string_view base, std::string_view owner,
                             const storage::MessageRecord& message) {
  const bool html = message.format == "Html";
  json::object content_links;
  const std::string_view plain = html ? message.plain : message.text;
  content_links["plainMessage"] =
      link(proto::ucwa::make_data_uri("text/plain;charset=utf-8", plain));
  if (html)
    content_links["htmlMessage"] =
        link(proto::ucwa::make_data_uri("text/html;charset=utf-8", message.text));
  json::object content;
  content["rel"] = "messageTranscript";
  content["_links"] = std::move(content_links);

  json::object l;
  if (message.sender == owner) l["me"] = link(std::string(base) + "/me");
  else {
    json::object contact = link(people_href(base, message.sender));
    contact["title"] = message.sender;
    l["contact"] = std::move(contact);
  }

  json::object o;
  o["rel"] = "conversationLogTranscript";
  o["timeStamp"] = date(message.at_ms);
  o["type"] = "Message";
  o["_links"] = std::move(l);
  json::object e;
  e["messageTranscript"] = std::move(content);
  o["_embedded"] = std::move(e);
  return o;
}

json::object transcripts_json(std::string_view base, std::string_view owner,
                              std::string_view conversation_id,
                              const std::vector<storage::MessageRecord>& page, std::size_t limit,
                              std::int64_t after, bool more) {
  const std::string list = conversation_log_href(base, conversation_id) +
                           "/transcripts?limit=" + std::to_string(limit);
  json::object l;
  l["self"] = link(after > 0 ? list + "&after=" + std::to_string(after) : list);
  if (more && !page.empty())
    l["nextConversationLogTranscripts"] = link(list + "&after=" + std::to_string(page.back().seq));
  json::array items;
  for (const auto& m : page) items.emplace_back(transcript_json(base, owner, m));

  json::object o;
  o["rel"] = "conversationLogTranscripts";
  o["_links"] = std::move(l);
  json::object e;
  e["conversationLogTranscript"] = std::move(items);
  o["_embedded"] = std::move(e);
  return o;
}

json::object missed_items_json(std::string_view base, const storage::MissedCounts& counts) {
  json::object o;
  o["rel"] = "missedItems";
  o["missedConversationsCount"] = counts.missed_conversations;
  o["unreadMissedConversationsCount"] = counts.unread_missed_conversations;
  o["conversationLogsCount"] = counts.conversation_logs;
  o["conversationLogsNotifications"] = 0;
  o["voiceMailsCount"] = 0;
  o["unreadVoicemailsCount"] = 0;
  json::object l;
  l["self"] = link(missed_items_href(base));
  o["_links"] = std::move(l);
  return o;
}

}  // namespace parley::im
