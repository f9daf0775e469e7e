// The history resources as a client reads them: the log list's cursor, conversationLog fields
// and links, transcripts with their data-URI content, and missedItems.

#include "im/history_json.hpp"

#include "common/crypto.hpp"
#include "proto/ucwa/message_content.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <cctype>

namespace parley::im {
namespace {

namespace json = boost::json;

constexpr const char* kBase = "/ucwa/oauth/v1/applications/105";

const json::object& obj(const json::value& v) { return v.as_object(); }
std::string href(const json::object& links, const char* rel) {
  return std::string(links.at(rel).as_object().at("href").as_string());
}
// The value of `name` in an href's query string (undecoded).
std::string query_arg(std::string_view h, std::string_view name) {
  const auto q = h.find('?');
  if (q == std::string_view::npos) return {};
  for (auto rest = h.substr(q + 1); !rest.empty();) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

storage::ConversationLogRecord sample_log() {
  storage::ConversationLogRecord r;
  r.owner = "alice@example.org";
  r.conversation_id = "c42";
  r.thread_id = "t-1";
  r.subject = "Lunch";
  r.importance = "Urgent";
  r.direction = "Incoming";
  r.status = "Missed";
  r.preview = "are you there?";
  r.participants = {"alice@example.org", "bob@example.org", "carol@example.org"};
  r.created_at_ms = 1364327898968;
  r.updated_at_ms = 1364327899000;
  r.message_count = 3;
  r.read = false;
  return r;
}

TEST(LogCursor, RoundTripsThroughAQueryString) {
  const storage::Store::LogCursor c{1364327899000, "conv:with:colons"};
  const auto text = encode_log_cursor(c);
  for (char ch : text)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << text;
  const auto back = decode_log_cursor(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->updated_at_ms, 1364327899000);
  EXPECT_EQ(back->conversation_id, "conv:with:colons");
  const auto zero = decode_log_cursor(encode_log_cursor({0, "x"}));
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->updated_at_ms, 0);
}

TEST(LogCursor, RejectsWhatTheServerNeverGaveOut) {
  EXPECT_FALSE(decode_log_cursor(""));
  EXPECT_FALSE(decode_log_cursor("not base64!"));
  EXPECT_FALSE(decode_log_cursor(base64url_encode("12345") + "="));  // padding is not ours
  EXPECT_FALSE(decode_log_cursor("A"));                              // impossible length
  EXPECT_FALSE(decode_log_cursor(base64url_encode("12345")));        // no id
  EXPECT_FALSE(decode_log_cursor(base64url_encode("12345:")));       // empty id
  EXPECT_FALSE(decode_log_cursor(base64url_encode(":c1")));          // no time
  EXPECT_FALSE(decode_log_cursor(base64url_encode("-5:c1")));
  EXPECT_FALSE(decode_log_cursor(base64url_encode("12a:c1")));
  EXPECT_FALSE(decode_log_cursor(base64url_encode("007:c1")));
  EXPECT_FALSE(decode_log_cursor(base64url_encode("99999999999999999999999:c1")));
  EXPECT_FALSE(decode_log_cursor(base64url_encode("1:" + std::string(300, 'x'))));
  EXPECT_FALSE(decode_log_cursor(std::string(600, 'A')));
  EXPECT_TRUE(decode_log_cursor(base64url_encode("7:c1")));
}

TEST(ConversationLogJson, CarriesTheUcwaFieldsAndLinks) {
  const auto o = conversation_log_json(kBase, sample_log(), true);
  EXPECT_EQ(o.at("rel"), "conversationLog");
  EXPECT_EQ(o.at("creationTime"), "/Date(1364327898968)/");
  EXPECT_EQ(o.at("direction"), "Incoming");
  EXPECT_EQ(o.at("importance"), "Urgent");
  EXPECT_EQ(o.at("modalities"), (json::array{"Messaging"}));
  EXPECT_EQ(o.at("previewMessage"), "are you there?");
  EXPECT_EQ(o.at("status"), "Missed");
  EXPECT_EQ(o.at("subject"), "Lunch");
  EXPECT_EQ(o.at("threadId"), "t-1");
  EXPECT_EQ(o.at("type"), "MessageLog");
  EXPECT_EQ(o.at("isRead"), false);
  // The owner is not one of her own recipients.
  EXPECT_EQ(o.at("totalRecipientsCount"), 2);

  const auto& l = obj(o.at("_links"));
  const std::string self = std::string(kBase) + "/communication/conversationLogs/c42";
  EXPECT_EQ(href(l, "self"), self);
  EXPECT_EQ(href(l, "conversationLogTranscripts"), self + "/transcripts");
  EXPECT_EQ(href(l, "markAsRead"), self + "/markAsRead");
  EXPECT_EQ(href(l, "continueMessaging"), self + "/continueMessaging");
  const auto& recipients = l.at("conversationLogRecipient").as_array();
  ASSERT_EQ(recipients.size(), 2u);
  EXPECT_EQ(std::string(obj(recipients[0]).at("href").as_string()),
            std::string(kBase) + "/people/bob@example.org");
  EXPECT_EQ(obj(recipients[0]).at("title"), "bob@example.org");
  EXPECT_EQ(obj(recipients[1]).at("title"), "carol@example.org");
}

TEST(ConversationLogJson, NoContinueLinkWithoutMessagingAndRecipientsStayAnArray) {
  auto log = sample_log();
  log.participants = {"alice@example.org"};
  const auto o = conversation_log_json(kBase, log, false);
  const auto& l = obj(o.at("_links"));
  EXPECT_FALSE(l.contains("continueMessaging"));
  EXPECT_TRUE(l.at("conversationLogRecipient").is_array());
  EXPECT_EQ(o.at("totalRecipientsCount"), 0);
}

TEST(ConversationLogJson, IdIsPercentEncodedInHrefs) {
  auto log = sample_log();
  log.conversation_id = "a b/c";
  const auto o = conversation_log_json(kBase, log, false);
  EXPECT_EQ(href(obj(o.at("_links")), "self"),
            std::string(kBase) + "/communication/conversationLogs/a%20b%2Fc");
}

TEST(ConversationLogsJson, NextPointsPastTheLastEntryWithTheSameLimit) {
  auto a = sample_log();
  auto b = sample_log();
  b.conversation_id = "c41";
  b.updated_at_ms = 1000;
  const auto o = conversation_logs_json(kBase, {a, b}, 2, std::nullopt, true, false);
  EXPECT_EQ(o.at("rel"), "conversationLogs");
  const auto& l = obj(o.at("_links"));
  EXPECT_EQ(href(l, "self"), std::string(kBase) + "/communication/conversationLogs?limit=2");
  const auto next = href(l, "next");
  EXPECT_EQ(query_arg(next, "limit"), "2");
  const auto cursor = decode_log_cursor(query_arg(next, "before"));
  ASSERT_TRUE(cursor);
  EXPECT_EQ(cursor->updated_at_ms, 1000);
  EXPECT_EQ(cursor->conversation_id, "c41");
  const auto& items = obj(o.at("_embedded")).at("conversationLog").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(obj(items[0]).at("threadId"), "t-1");
}

TEST(ConversationLogsJson, LastPageHasNoNextAndSelfKeepsItsCursor) {
  const storage::Store::LogCursor before{5, "c9"};
  const auto o = conversation_logs_json(kBase, {}, 20, before, false, false);
  const auto& l = obj(o.at("_links"));
  EXPECT_FALSE(l.contains("next"));
  EXPECT_EQ(query_arg(href(l, "self"), "before"), encode_log_cursor(before));
  EXPECT_TRUE(obj(o.at("_embedded")).at("conversationLog").as_array().empty());
}

storage::MessageRecord message(std::string sender, std::string format, std::string text,
                               std::string plain, std::int64_t seq) {
  storage::MessageRecord m;
  m.conversation_id = "c42";
  m.seq = seq;
  m.sender = std::move(sender);
  m.at_ms = 1364327898968 + seq;
  m.format = std::move(format);
  m.text = std::move(text);
  m.plain = std::move(plain);
  return m;
}

TEST(TranscriptJson, OwnMessagesLinkToMeOthersToTheirContact) {
  const auto mine = transcript_json(kBase, "alice@example.org",
                                    message("alice@example.org", "Plain", "Hi Bob", "Hi Bob", 1));
  EXPECT_EQ(mine.at("rel"), "conversationLogTranscript");
  EXPECT_EQ(mine.at("type"), "Message");
  EXPECT_EQ(mine.at("timeStamp"), "/Date(1364327898969)/");
  EXPECT_EQ(href(obj(mine.at("_links")), "me"), std::string(kBase) + "/me");
  EXPECT_FALSE(obj(mine.at("_links")).contains("contact"));

  const auto theirs = transcript_json(kBase, "alice@example.org",
                                      message("bob@example.org", "Plain", "Hi", "Hi", 2));
  EXPECT_EQ(href(obj(theirs.at("_links")), "contact"),
            std::string(kBase) + "/people/bob@example.org");
  EXPECT_FALSE(obj(theirs.at("_links")).contains("me"));
}

TEST(TranscriptJson, TextTravelsAsDataUris) {
  const auto plain =
      transcript_json(kBase, "alice@example.org",
                      message("bob@example.org", "Plain", "Hi Tosh\r\n", "Hi Tosh\r\n", 1));
  const auto& content = obj(obj(plain.at("_embedded")).at("messageTranscript"));
  EXPECT_EQ(content.at("rel"), "messageTranscript");
  const auto& pl = obj(content.at("_links"));
  EXPECT_EQ(href(pl, "plainMessage"), "data:text/plain;charset=utf-8,Hi+Tosh%0D%0A");
  EXPECT_FALSE(pl.contains("htmlMessage"));

  const auto html = transcript_json(kBase, "alice@example.org",
                                    message("bob@example.org", "Html", "<b>bold</b> & more",
                                            "bold & more", 2));
  const auto& hl = obj(obj(obj(html.at("_embedded")).at("messageTranscript")).at("_links"));
  const auto decoded_html = proto::ucwa::parse_data_uri(href(hl, "htmlMessage"), 1024);
  ASSERT_TRUE(decoded_html);
  EXPECT_EQ(decoded_html->media_type, "text/html");
  EXPECT_EQ(decoded_html->data, "<b>bold</b> & more");
  const auto decoded_plain = proto::ucwa::parse_data_uri(href(hl, "plainMessage"), 1024);
  ASSERT_TRUE(decoded_plain);
  EXPECT_EQ(decoded_plain->media_type, "text/plain");
  EXPECT_EQ(decoded_plain->data, "bold & more");
}

TEST(TranscriptsJson, PagesForwardAfterTheLastSeq) {
  std::vector<storage::MessageRecord> page{message("bob@example.org", "Plain", "a", "a", 4),
                                           message("bob@example.org", "Plain", "b", "b", 5)};
  auto o = transcripts_json(kBase, "alice@example.org", "c42", page, 2, 3, true);
  EXPECT_EQ(o.at("rel"), "conversationLogTranscripts");
  const std::string list = std::string(kBase) + "/communication/conversationLogs/c42/transcripts";
  auto l = obj(o.at("_links"));
  EXPECT_EQ(href(l, "self"), list + "?limit=2&after=3");
  EXPECT_EQ(href(l, "nextConversationLogTranscripts"), list + "?limit=2&after=5");
  EXPECT_EQ(obj(o.at("_embedded")).at("conversationLogTranscript").as_array().size(), 2u);

  o = transcripts_json(kBase, "alice@example.org", "c42", page, 20, 0, false);
  l = obj(o.at("_links"));
  EXPECT_EQ(href(l, "self"), list + "?limit=20");
  EXPECT_FALSE(l.contains("nextConversationLogTranscripts"));
}

TEST(MissedItemsJson, ReportsTheCountsAndNoVoicemail) {
  storage::MissedCounts c;
  c.missed_conversations = 3;
  c.unread_missed_conversations = 2;
  c.conversation_logs = 7;
  const auto o = missed_items_json(kBase, c);
  EXPECT_EQ(o.at("rel"), "missedItems");
  EXPECT_EQ(o.at("missedConversationsCount"), 3);
  EXPECT_EQ(o.at("unreadMissedConversationsCount"), 2);
  EXPECT_EQ(o.at("conversationLogsCount"), 7);
  EXPECT_EQ(o.at("conversationLogsNotifications"), 0);
  EXPECT_EQ(o.at("voiceMailsCount"), 0);
  EXPECT_EQ(o.at("unreadVoicemailsCount"), 0);
  EXPECT_EQ(href(obj(o.at("_links")), "self"), std::string(kBase) + "/communication/missedItems");
}

}  // namespace
}  // namespace parley::im
