// Instant messaging and history (UCWA.md §5.4, §5.8) against the real parleyd: Alice starts a
// chat, Bob's phone and laptop both ring, he answers on the laptop, they type and talk, Carol is
// pulled in, and every device finds the conversation in its history afterwards.
#include "ucwa_client.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <set>
#include <thread>

namespace parley::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr char kJson[] = "Content-Type: application/json";
constexpr char kAvailable[] = R"({"SupportedModalities":["Messaging"],"SupportedMessageFormats":["Plain","Html"]})";

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

json::object app_body(const std::string& endpoint, const std::string& type) {
  return json::object{{"culture", "en-US"}, {"endpointId", endpoint}, {"userAgent", "e2e/1.0"}, {"type", type}};
}

// Percent-decodes a data URI's text (UCWA puts message text in links).
std::string data_text(const std::string& uri) {
  const auto comma = uri.find(',');
  std::string out;
  for (std::size_t i = comma + 1; i < uri.size(); ++i) {
    if (uri[i] == '+') out += ' ';
    else if (uri[i] == '%' && i + 2 < uri.size()) {
      out += static_cast<char>(std::stoi(uri.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else out += uri[i];
  }
  return out;
}

// A client's view of its event channel: every event seen so far, searchable.
class Listener {
public:
  explicit Listener(UcwaApp& app) : app_(app) {}
  // Fetches packages until an event with this link rel (and type, when given) shows up, bounded.
  json::object wait(const std::string& rel, const std::string& type = "", int rounds = 8) {
    for (int i = 0; i <= rounds; ++i) {
      for (std::size_t k = 0; k < seen_.size(); ++k) {
        const auto& e = seen_[k];
        if (str(e.at("rel")) == rel && (type.empty() || str(e.at("type")) == type)) {
          auto found = e;
          seen_.erase(seen_.begin() + static_cast<long>(k));
          return found;
        }
      }
      if (i == rounds) break;
      for (auto& e : UcwaApp::events_of(app_.pget())) seen_.push_back(std::move(e));
    }
    ADD_FAILURE() << "no " << rel << " " << type << " event";
    return {};
  }
  bool saw(const std::string& rel, const std::string& type) const {
    for (const auto& e : seen_)
      if (str(e.at("rel")) == rel && str(e.at("type")) == type) return true;
    return false;
  }
  void drain() {
    for (auto& e : UcwaApp::events_of(app_.pget())) seen_.push_back(std::move(e));
  }

private:
  UcwaApp& app_;
  std::vector<json::object> seen_;
};

std::string embedded_href(const json::object& e, const char* rel, const char* link_rel) {
  return str(e.at("_embedded").at(rel).at("_links").at(link_rel).at("href"));
}

class Im : public ::testing::Test {
protected:
  void start(const std::string& extra_toml = "") {
    server.start_with_test_config(dir.path(), extra_toml);
    for (const char* u : {"alice@example.org", "bob@example.org", "carol@example.org"}) add_user(server, u);
    alice = sign_in(server, "alice@example.org");
    bob = sign_in(server, "bob@example.org");
    carol = sign_in(server, "carol@example.org");
  }
  // Starts a chat from `from` to `to_sip` with a first message; returns the invitation href.
  std::string invite(UcwaApp& from, const std::string& to_sip, const std::string& text = "Hi Bob") {
    json::object body{{"to", "sip:" + to_sip}, {"subject", "Lunch"}, {"importance", "Normal"},
                      {"operationId", "op-1"}};
    if (!text.empty()) body["message"] = "data:text/plain;charset=utf-8," + text;
    const auto r = from.post(from.href() + "/communication/messagingInvitations", json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.header("Location");
  }
  TempDir dir;
  Parleyd server;
  std::string alice, bob, carol;
};

// time_scale 10 keeps every wait short when something goes wrong (an event that never comes
// costs an 18 s empty P-GET, not 180 s); the 30 s ring becomes 3 s.
constexpr char kFast[] = "[ucwa]\ntime_scale = 10\nresume_after_seconds = 86400\nidle_timeout_without_event_channel = 86400\n";

TEST_F(Im, BobAnswersOnOneDeviceAndTheyTalk) {
  start(kFast);
  UcwaApp a(server, alice, app_body("a-laptop", "Desktop"));
  UcwaApp bphone(server, bob, app_body("b-phone", "Phone"));
  UcwaApp blaptop(server, bob, app_body("b-laptop", "Desktop"));
  for (auto* app : {&a, &bphone, &blaptop}) {
    app->make_me_available(kAvailable);
    app->pget();
  }
  Listener la(a), lp(bphone), ll(blaptop);
  invite(a, "bob@example.org", "Hi+Bob");
  // Alice's side: the documented outgoing sequence.
  const auto started = la.wait("messagingInvitation", "started");
  EXPECT_EQ(str(started.at("_embedded").at("messagingInvitation").at("direction")), "Outgoing");
  const auto a_conv = la.wait("conversation", "added");
  la.wait("localParticipant", "added");
  la.wait("messaging", "updated");
  // Nobody has answered yet: sending now is a state conflict, not a missing resource.
  const auto early = a.post(str(a_conv.at("href")) + "/messaging/messages", "too soon",
                            {"Content-Type: text/plain"});
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_EQ(str(parse_json(early.body).at("subcode")), "InvalidState");
  // Both of Bob's devices ring, each with the first message.
  const auto ring_phone = lp.wait("messagingInvitation", "started");
  const auto ring_laptop = ll.wait("messagingInvitation", "started");
  EXPECT_EQ(str(ring_laptop.at("_embedded").at("messagingInvitation").at("direction")), "Incoming");
  EXPECT_EQ(data_text(embedded_href(ring_laptop, "messagingInvitation", "message")), "Hi Bob");
  EXPECT_EQ(data_text(embedded_href(ring_phone, "messagingInvitation", "message")), "Hi Bob");
  lp.wait("conversation", "added");

  // He answers on the laptop; the phone stops ringing.
  ASSERT_EQ(blaptop.post(embedded_href(ring_laptop, "messagingInvitation", "accept")).status, 204);
  const auto connected = ll.wait("messaging", "updated");
  const std::string send_b = embedded_href(connected, "messaging", "sendMessage");
  const auto first = ll.wait("message", "completed");
  EXPECT_EQ(data_text(embedded_href(first, "message", "plainMessage")), "Hi Bob");
  const auto stop_ringing = lp.wait("messagingInvitation", "completed");
  EXPECT_EQ(str(stop_ringing.at("status")), "Failed");
  lp.wait("conversation", "deleted");
  // The phone's late accept: the invitation is over (410), not unknown.
  const auto late = bphone.post(embedded_href(ring_phone, "messagingInvitation", "accept"));
  EXPECT_EQ(late.status, 410) << late.body;
  EXPECT_EQ(str(parse_json(late.body).at("code")), "Gone");
  EXPECT_EQ(str(parse_json(late.body).at("subcode")), "InvitationEnded");

  const auto done = la.wait("messagingInvitation", "completed");
  EXPECT_EQ(str(done.at("status")), "Success");
  const auto a_messaging = la.wait("messaging", "updated");
  const std::string send_a = embedded_href(a_messaging, "messaging", "sendMessage");
  const std::string typing_b = embedded_href(connected, "messaging", "setIsTyping");

  // Bob types; Alice sees it, and it goes by itself.
  ASSERT_EQ(blaptop.post(typing_b).status, 204);
  bool typing_seen = false;
  for (int i = 0; i < 4 && !typing_seen; ++i) {
    const auto e = la.wait("participant", "added");
    typing_seen = e.contains("in") && str(e.at("in").at("rel")) == "typingParticipants";
  }
  EXPECT_TRUE(typing_seen);

  // Plain one way, HTML the other; Alice's own send completes with Success.
  const auto sent = a.post(send_a + "?operationId=m1", "Are you free at noon?", {"Content-Type: text/plain"});
  ASSERT_EQ(sent.status, 201) << sent.body;
  EXPECT_FALSE(sent.header("Location").empty());
  const auto mine = la.wait("message", "completed");
  EXPECT_EQ(str(mine.at("status")), "Success");
  EXPECT_EQ(str(mine.at("_embedded").at("message").at("direction")), "Outgoing");
  const auto got = ll.wait("message", "completed");
  EXPECT_EQ(data_text(embedded_href(got, "message", "plainMessage")), "Are you free at noon?");

  const auto html = blaptop.post(send_b, R"(<b>Yes</b><img src=x onerror=alert(1)><script>alert(2)</script>)",
                                 {"Content-Type: text/html"});
  ASSERT_EQ(html.status, 201);
  const auto got_html = la.wait("message", "completed");
  const std::string h = data_text(embedded_href(got_html, "message", "htmlMessage"));
  EXPECT_NE(h.find("<b>Yes</b>"), std::string::npos) << h;
  EXPECT_EQ(h.find("onerror"), std::string::npos) << h;
  EXPECT_EQ(h.find("script"), std::string::npos) << h;

  // Too large, or from someone not in it.
  EXPECT_EQ(a.post(send_a, std::string(70 * 1024, 'x'), {"Content-Type: text/plain"}).status, 413);
  EXPECT_EQ(bphone.post(send_a, "sneaky", {"Content-Type: text/plain"}).status, 404);

  // Bob leaves: Alice's conversation ends, and sending afterwards is refused.
  ASSERT_EQ(blaptop.post(embedded_href(connected, "messaging", "stopMessaging")).status, 204);
  la.wait("participant", "deleted");
  la.wait("conversation", "deleted");
  const auto after = a.post(send_a, "hello?", {"Content-Type: text/plain"});
  EXPECT_EQ(after.status, 410) << after.body;
  EXPECT_EQ(str(parse_json(after.body).at("subcode")), "ConversationEnded");
  // Bob's phone was shown the conversation while it rang: for it too the conversation is over.
  EXPECT_EQ(bphone.post(bphone.href() + send_a.substr(a.href().size()), "x", {"Content-Type: text/plain"}).status,
            410);

  // History on every device of both users, in order, with read state.
  const auto logs = parse_json(bphone.get(bphone.href() + "/communication/conversationLogs").body);
  const auto& list = logs.at("_embedded").at("conversationLog").as_array();
  ASSERT_EQ(list.size(), 1u) << json::serialize(logs);
  EXPECT_EQ(str(list[0].at("subject")), "Lunch");
  const std::string transcripts = str(list[0].at("_links").at("conversationLogTranscripts").at("href"));
  const auto t = parse_json(bphone.get(transcripts).body);
  const auto& items = t.at("_embedded").at("conversationLogTranscript").as_array();
  ASSERT_EQ(items.size(), 3u) << json::serialize(t);
  const auto text_of = [](const json::value& item) {
    const auto& l = item.at("_embedded").at("messageTranscript").at("_links").as_object();
    return data_text(str(l.contains("htmlMessage") ? l.at("htmlMessage").at("href") : l.at("plainMessage").at("href")));
  };
  EXPECT_EQ(text_of(items[0]), "Hi Bob");
  EXPECT_EQ(text_of(items[1]), "Are you free at noon?");
  EXPECT_NE(text_of(items[2]).find("<b>Yes</b>"), std::string::npos);
  const auto alice_logs = parse_json(a.get(a.href() + "/communication/conversationLogs").body);
  EXPECT_EQ(alice_logs.at("_embedded").at("conversationLog").as_array().size(), 1u);
}

TEST_F(Im, DeclineTimeoutAndUnknownRecipientsFailTheInvitation) {
  // 30 s ring = 0.3 s at time_scale 100.
  start("[ucwa]\ntime_scale = 100\nresume_after_seconds = 86400\nidle_timeout_without_event_channel = 86400\n");
  UcwaApp a(server, alice, app_body("a", "Desktop"));
  UcwaApp b(server, bob, app_body("b", "Phone"));
  a.make_me_available(kAvailable);
  b.make_me_available(kAvailable);
  a.pget();
  b.pget();
  Listener la(a), lb(b);

  invite(a, "bob@example.org");
  const auto ring = lb.wait("messagingInvitation", "started");
  ASSERT_EQ(b.post(embedded_href(ring, "messagingInvitation", "decline")).status, 204);
  const auto declined = la.wait("messagingInvitation", "completed");
  EXPECT_EQ(str(declined.at("status")), "Failed");
  EXPECT_EQ(str(declined.at("reason").at("subcode")), "Declined");

  // Nobody answers: the sender hears it failed, Bob's devices learn of a missed conversation.
  invite(a, "bob@example.org", "Still+there%3F");
  lb.wait("messagingInvitation", "started");
  const auto timed_out = la.wait("messagingInvitation", "completed");
  EXPECT_EQ(str(timed_out.at("reason").at("subcode")), "NoAnswer");
  const auto missed = lb.wait("missedItems", "updated");
  EXPECT_EQ(missed.at("_embedded").at("missedItems").at("missedConversationsCount").to_number<int>(), 1);
  const auto counts = parse_json(b.get(b.href() + "/communication/missedItems").body);
  EXPECT_EQ(counts.at("unreadMissedConversationsCount").to_number<int>(), 1);
  const auto logs = parse_json(b.get(b.href() + "/communication/conversationLogs").body);
  bool missed_log = false;
  for (const auto& l : logs.at("_embedded").at("conversationLog").as_array())
    if (str(l.at("status")) == "Missed") missed_log = true;
  EXPECT_TRUE(missed_log) << json::serialize(logs);
  // Bob calls back from his history: Alice rings, in the same thread.
  const auto& entry = logs.at("_embedded").at("conversationLog").as_array().at(0);
  const auto again = b.post(str(entry.at("_links").at("continueMessaging").at("href")));
  EXPECT_EQ(again.status, 201) << again.body;
  json::object callback;
  for (int i = 0; i < 6; ++i) {
    callback = la.wait("messagingInvitation", "started");
    if (str(callback.at("_embedded").at("messagingInvitation").at("direction")) == "Incoming") break;
  }
  EXPECT_EQ(str(callback.at("_embedded").at("messagingInvitation").at("direction")), "Incoming");
  EXPECT_EQ(str(callback.at("_embedded").at("messagingInvitation").at("threadId")), str(entry.at("threadId")));

  // To someone who does not exist.
  invite(a, "nobody@example.org");
  const auto unknown = la.wait("messagingInvitation", "completed");
  EXPECT_EQ(str(unknown.at("reason").at("subcode")), "DestinationNotFound");
  // Bad input.
  EXPECT_EQ(a.post(a.href() + "/communication/messagingInvitations", R"({"to":"bob"})").status, 400);
  EXPECT_EQ(a.post(a.href() + "/communication/messagingInvitations",
                   json::serialize(json::object{{"to", "sip:bob@example.org"}, {"subject", std::string(251, 's')}})).status, 400);
}

TEST_F(Im, CarolIsPulledInAndLeaves) {
  start(kFast);
  UcwaApp a(server, alice, app_body("a", "Desktop"));
  UcwaApp b(server, bob, app_body("b", "Desktop"));
  UcwaApp c(server, carol, app_body("c", "Desktop"));
  for (auto* app : {&a, &b, &c}) {
    app->make_me_available(kAvailable);
    app->pget();
  }
  Listener la(a), lb(b), lc(c);
  invite(a, "bob@example.org", "Before+Carol+came");
  const auto ring = lb.wait("messagingInvitation", "started");
  ASSERT_EQ(b.post(embedded_href(ring, "messagingInvitation", "accept")).status, 204);
  EXPECT_EQ(data_text(embedded_href(lb.wait("message", "completed"), "message", "plainMessage")),
            "Before Carol came");
  const auto conv = la.wait("conversation", "updated");
  const std::string add = embedded_href(conv, "conversation", "addParticipant");
  const auto invited = a.post(add, R"({"to":"sip:carol@example.org"})");
  ASSERT_EQ(invited.status, 201) << invited.body;
  const auto ring_c = lc.wait("messagingInvitation", "started");
  ASSERT_EQ(c.post(embedded_href(ring_c, "messagingInvitation", "accept")).status, 204);
  // Both Alice and Bob see Carol arrive.
  for (auto* l : {&la, &lb}) {
    bool carol_added = false;
    for (int i = 0; i < 4 && !carol_added; ++i) {
      const auto e = l->wait("participant", "added");
      if (str(e.at("href")).find("carol@example.org") != std::string::npos) carol_added = true;
    }
    EXPECT_TRUE(carol_added);
  }
  const auto c_messaging = lc.wait("messaging", "updated");
  ASSERT_EQ(c.post(embedded_href(c_messaging, "messaging", "sendMessage"), "Hello both", {"Content-Type: text/plain"}).status, 201);
  EXPECT_EQ(data_text(embedded_href(la.wait("message", "completed"), "message", "plainMessage")), "Hello both");
  EXPECT_EQ(data_text(embedded_href(lb.wait("message", "completed"), "message", "plainMessage")), "Hello both");
  // Carol leaves; the others stay in the conversation.
  ASSERT_EQ(c.post(embedded_href(c_messaging, "messaging", "stopMessaging")).status, 204);
  la.wait("participant", "deleted");
  lb.wait("participant", "deleted");
  EXPECT_FALSE(la.saw("conversation", "deleted"));

  // Her history holds what was said after she joined; Alice's holds all of it.
  auto transcript_of = [](UcwaApp& app) {
    const auto logs = parse_json(app.get(app.href() + "/communication/conversationLogs").body);
    const auto& entry = logs.at("_embedded").at("conversationLog").as_array().at(0);
    const auto t = parse_json(app.get(str(entry.at("_links").at("conversationLogTranscripts").at("href"))).body);
    std::vector<std::string> texts;
    for (const auto& item : t.at("_embedded").at("conversationLogTranscript").as_array())
      texts.push_back(json::serialize(item));
    return texts;
  };
  const auto carols = transcript_of(c);
  ASSERT_EQ(carols.size(), 1u);
  EXPECT_NE(carols[0].find("Hello"), std::string::npos) << carols[0];
  const auto alices = transcript_of(a);
  ASSERT_EQ(alices.size(), 2u);
  EXPECT_TRUE(std::any_of(alices.begin(), alices.end(), [](const std::string& t) {
    return t.find("Before") != std::string::npos;
  }));
}

TEST_F(Im, ReadStateFollowsTheUserAcrossDevices) {
  start("[ucwa]\ntime_scale = 100\nresume_after_seconds = 86400\nidle_timeout_without_event_channel = 86400\n");
  UcwaApp a(server, alice, app_body("a", "Desktop"));
  UcwaApp phone(server, bob, app_body("bp", "Phone"));
  UcwaApp laptop(server, bob, app_body("bl", "Desktop"));
  for (auto* app : {&a, &phone, &laptop}) {
    app->make_me_available(kAvailable);
    app->pget();
  }
  Listener lphone(phone), llaptop(laptop);
  invite(a, "bob@example.org");  // nobody answers: missed on both of Bob's devices
  lphone.wait("missedItems", "updated");
  llaptop.wait("missedItems", "updated");
  const auto logs = parse_json(phone.get(phone.href() + "/communication/conversationLogs").body);
  const auto& entry = logs.at("_embedded").at("conversationLog").as_array().at(0);
  ASSERT_EQ(phone.post(str(entry.at("_links").at("markAsRead").at("href"))).status, 204);
  // The laptop hears the new counts.
  const auto update = llaptop.wait("missedItems", "updated");
  EXPECT_EQ(update.at("_embedded").at("missedItems").at("unreadMissedConversationsCount").to_number<int>(), 0);
}

// Every message the API acknowledged survives kill -9, exactly once.
TEST_F(Im, AcknowledgedMessagesSurviveAKill) {
  start(kFast);
  UcwaApp a(server, alice, app_body("a", "Desktop"));
  UcwaApp b(server, bob, app_body("b", "Desktop"));
  a.make_me_available(kAvailable);
  b.make_me_available(kAvailable);
  a.pget();
  b.pget();
  Listener la(a), lb(b);
  invite(a, "bob@example.org", "");
  const auto ring = lb.wait("messagingInvitation", "started");
  ASSERT_EQ(b.post(embedded_href(ring, "messagingInvitation", "accept")).status, 204);
  const std::string send = embedded_href(la.wait("messaging", "updated"), "messaging", "sendMessage");

  std::atomic<bool> stop{false};
  std::vector<std::set<std::string>> acked(4);
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 100000 && !stop; ++i) {
        const std::string text = "m" + std::to_string(t) + "-" + std::to_string(i);
        try {
          const auto r = a.post(send, text, {"Content-Type: text/plain"});
          if (r.status == 201) acked[t].insert(text);
        } catch (const std::exception&) {
          return;  // the server is gone
        }
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  kill(server.pid(), SIGKILL);
  stop = true;
  for (auto& s : senders) s.join();
  server.stop(SIGKILL);
  std::size_t total = 0;
  for (auto& s : acked) total += s.size();
  ASSERT_GT(total, 0u);

  server.start_with_test_config(dir.path());
  const std::string token = sign_in(server, "alice@example.org");
  UcwaApp again(server, token, app_body("a2", "Desktop"));
  const auto logs = parse_json(again.get(again.href() + "/communication/conversationLogs").body);
  std::string transcripts = str(logs.at("_embedded").at("conversationLog").as_array().at(0)
                                    .at("_links").at("conversationLogTranscripts").at("href"));
  std::multiset<std::string> found;
  for (int page = 0; page < 10000 && !transcripts.empty(); ++page) {
    const auto t = parse_json(again.get(transcripts + (transcripts.find('?') == std::string::npos ? "?" : "&") + "limit=100").body);
    for (const auto& item : t.at("_embedded").at("conversationLogTranscript").as_array())
      found.insert(data_text(str(item.at("_embedded").at("messageTranscript").at("_links").at("plainMessage").at("href"))));
    const auto* next = t.at("_links").as_object().if_contains("nextConversationLogTranscripts");
    transcripts = next ? str(next->at("href")) : "";
  }
  std::size_t missing = 0, doubled = 0;
  for (auto& s : acked)
    for (auto& text : s) {
      const auto n = found.count(text);
      if (n == 0) ++missing;
      if (n > 1) ++doubled;
    }
  std::printf("crash test: %zu acknowledged, %zu found in history (%zu missing, %zu twice)\n", total,
              found.size(), missing, doubled);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(doubled, 0u);
}

}  // namespace
}  // namespace parley::e2e
