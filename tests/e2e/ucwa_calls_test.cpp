// Audio and video calls (UCWA.md §5.5, docs/calls.md) against the real parleyd: Alice calls Bob
// from a browser, both of Bob's devices ring with her WebRTC offer, he picks up on one, they put
// the call on hold and hang up, and both histories show the call. Also what a user meets when a
// call does not go through: nobody can take it, a decline, a cancel, no answer, bad SDP, and a
// mobility policy that keeps video off a cellular network.
#include "call_sdp.hpp"
#include "ucwa_client.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace parley::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr char kSdp[] = "Content-Type: application/sdp";

// ---- text helpers -------------------------------------------------------------------------

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

// The SDP of a data:application/sdp;base64 link; a failure when it is anything else.
std::string sdp_of_uri(const std::string& uri) {
  const std::string prefix = "data:application/sdp;base64,";
  EXPECT_TRUE(uri.starts_with(prefix)) << uri.substr(0, 80);
  if (!uri.starts_with(prefix)) return "";
  return unbase64(uri.substr(prefix.size()));
}

json::object app_body(const std::string& endpoint, const std::string& type) {
  return json::object{{"culture", "en-US"}, {"endpointId", endpoint}, {"userAgent", "e2e/1.0"}, {"type", type}};
}

constexpr char kCallable[] = R"({"supportedModalities":["Messaging","Audio","Video"],"supportedMessageFormats":["Plain"]})";
constexpr char kChatOnly[] = R"({"supportedModalities":["Messaging"],"supportedMessageFormats":["Plain"]})";

// The resource an event carries (`_embedded.<rel>`), empty when none.
json::object res(const json::object& event) {
  const auto* e = event.if_contains("_embedded");
  if (!e || !e->is_object()) return {};
  const auto* r = e->as_object().if_contains(str(event.at("rel")));
  return r && r->is_object() ? r->as_object() : json::object{};
}
std::string link_of(const json::object& resource, const char* rel) {
  const auto* links = resource.if_contains("_links");
  if (!links || !links->is_object()) return "";
  const auto* l = links->as_object().if_contains(rel);
  return l ? str(l->at("href")) : "";
}
std::string reason_subcode(const json::object& event) {
  const auto* r = event.if_contains("reason");
  return r && r->is_object() && r->as_object().contains("subcode") ? str(r->at("subcode")) : "";
}

// One client's event channel: every event seen so far, searchable in arrival order.
class Listener {
public:
  explicit Listener(UcwaApp& app) : app_(app) {}
  using Match = std::function<bool(const json::object&)>;

  // Fetches packages until an event with this link rel and type (and matching `also`) shows up.
  json::object wait(const std::string& rel, const std::string& type, const Match& also = {}, int rounds = 6) {
    for (int i = 0; i <= rounds; ++i) {
      for (std::size_t k = 0; k < seen_.size(); ++k) {
        const auto& e = seen_[k];
        if (str(e.at("rel")) == rel && str(e.at("type")) == type && (!also || also(e))) {
          auto found = e;
          seen_.erase(seen_.begin() + static_cast<long>(k));
          return found;
        }
      }
      if (i == rounds) break;
      for (auto& e : UcwaApp::events_of(app_.pget())) {
        log_.push_back(e);
        seen_.push_back(std::move(e));
      }
    }
    ADD_FAILURE() << "no " << rel << " " << type << " event; seen: " << history();
    return {};
  }
  // Whether any event so far (taken by wait or not) had this rel and type.
  bool ever_saw(const std::string& rel, const std::string& type = "") const {
    return std::any_of(log_.begin(), log_.end(), [&](const json::object& e) {
      return str(e.at("rel")) == rel && (type.empty() || str(e.at("type")) == type);
    });
  }
  std::string history() const {
    std::string out;
    for (const auto& e : log_) out += str(e.at("rel")) + "/" + str(e.at("type")) + " ";
    return out;
  }

private:
  UcwaApp& app_;
  std::vector<json::object> seen_, log_;
};

Listener::Match with_state(std::string state) {
  return [state](const json::object& e) { return str(res(e).at("state")) == state; };
}

// time_scale 10: an event that never comes costs an 18 s empty P-GET, the 30 s renegotiation
// timeout is 3 s; the ring is configured long (300 s → 30 s) so that no call rings out by
// accident.
constexpr char kConfig[] =
    "[ucwa]\ntime_scale = 10\nresume_after_seconds = 86400\nidle_timeout_without_event_channel = 86400\n"
    "[calls]\nring_timeout_seconds = 300\n";

class Calls : public ::testing::Test {
protected:
  void start(const std::string& extra_toml = kConfig) {
    server.start_with_test_config(dir.path(), extra_toml);
    add_user(server, "alice@example.org", {"--name", "Alice Example"});
    add_user(server, "bob@example.org", {"--name", "Bob Example"});
    alice = sign_in(server, "alice@example.org");
    bob = sign_in(server, "bob@example.org");
  }
  // Makes an application available and starts its event channel.
  static void ready(UcwaApp& app, const char* availability = kCallable) {
    app.make_me_available(availability);
    app.pget();
  }
  static Reply report_network(UcwaApp& app, const std::string& type) {
    return app.post(app.href() + "/reportMyNetwork",
                    R"({"clientNetworkType":"External","networkType":")" + type + R"("})");
  }
  // POST audioVideoInvitations the way the web client does: JSON with the offer as a data URI.
  static Reply call(UcwaApp& from, const std::string& to_sip, const std::string& offer = kAliceOffer,
                    const std::string& thread = "") {
    json::object body{{"to", "sip:" + to_sip}, {"operationId", "op-call-1"}, {"importance", "Normal"}};
    if (!thread.empty()) body["threadId"] = thread;
    body["_links"] = json::object{{"mediaOffer", json::object{{"href", sdp_uri(offer)}}}};
    return from.post(from.href() + "/communication/audioVideoInvitations", json::serialize(body));
  }
  CommandResult parley(std::vector<std::string> args) {
    return run_parley(server, args);
  }
  void grant(const std::string& user, const std::string& policy, std::vector<std::string> settings) {
    std::vector<std::string> args{"policy", "new", "mobility", policy};
    args.insert(args.end(), settings.begin(), settings.end());
    const auto made = parley(args);
    ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
    const auto granted = parley({"policy", "grant", "mobility", policy, "--user", user});
    ASSERT_EQ(granted.exit_code, 0) << granted.out << granted.err;
  }
  // The call log of `thread_id` in `app`'s history, once it says `until` (polled: logs are
  // written off the request path).
  static json::object call_log(UcwaApp& app, const std::string& thread_id,
                               const std::function<bool(const json::object&)>& until = {}) {
    json::object last;
    for (int i = 0; i < 50; ++i) {
      const auto r = app.get(app.href() + "/communication/conversationLogs");
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return {};
      const auto logs = parse_json(r.body);
      for (const auto& l : logs.at("_embedded").at("conversationLog").as_array())
        if (str(l.at("threadId")) == thread_id) last = l.as_object();
      if (!last.empty() && (!until || until(last))) return last;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "no settled call log for thread " << thread_id << ": " << json::serialize(last);
    return last;
  }
  static int missed_count(UcwaApp& app) {
    const auto r = app.get(app.href() + "/communication/missedItems");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? parse_json(r.body).at("missedConversationsCount").to_number<int>() : -1;
  }

  TempDir dir;
  Parleyd server;
  std::string alice, bob;
};

// ---- 1, 6, 9: ringing two devices, answering on one, talking, hanging up, history ----------

TEST_F(Calls, BobPicksUpOnHisLaptopTheyTalkAndHeHangsUp) {
  start();
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp phone(server, bob, app_body("bob-phone", "Phone"));
  UcwaApp laptop(server, bob, app_body("bob-laptop", "Browser"));
  for (auto* app : {&a, &phone, &laptop}) ready(*app);
  Listener la(a), lp(phone), ll(laptop);

  // The communication resource offers the call.
  const auto comm = parse_json(a.get(a.href() + "/communication").body).as_object();
  EXPECT_FALSE(link_of(comm, "startAudioVideo").empty()) << json::serialize(comm);

  const auto placed = call(a, "bob@example.org", kAliceOffer, "thread-video-call");
  ASSERT_EQ(placed.status, 201) << placed.body;
  const std::string invitation = placed.header("Location");
  EXPECT_NE(invitation.find("/communication/audioVideoInvitations/"), std::string::npos) << invitation;

  // Alice's side, in the documented order.
  const auto started = la.wait("audioVideoInvitation", "started");
  EXPECT_EQ(str(res(started).at("direction")), "Outgoing");
  EXPECT_EQ(str(res(started).at("state")), "Connecting");
  EXPECT_EQ(str(started.at("href")), invitation);
  const std::string cancel = link_of(res(started), "cancel");
  EXPECT_FALSE(cancel.empty());
  const auto conv_added = la.wait("conversation", "added");
  const std::string conv = str(conv_added.at("href"));
  EXPECT_EQ(link_of(res(started), "conversation"), conv);
  EXPECT_EQ(str(res(conv_added).at("activeModalities").at(0)), "AudioVideo");
  la.wait("localParticipant", "added");
  const auto connecting = la.wait("audioVideo", "updated");
  EXPECT_EQ(str(res(connecting).at("state")), "Connecting");

  // 9: Alice finds the ringing call among her conversations and can read it.
  const auto list = parse_json(a.get(a.href() + "/communication/conversations").body);
  bool listed = false;
  for (const auto& c : list.at("_embedded").at("conversation").as_array())
    if (link_of(c.as_object(), "self") == conv) listed = true;
  EXPECT_TRUE(listed) << json::serialize(list);
  const auto conv_get = a.get(conv);
  ASSERT_EQ(conv_get.status, 200) << conv_get.body;
  EXPECT_EQ(str(parse_json(conv_get.body).at("state")), "Connecting");

  // Both of Bob's devices ring with exactly Alice's offer.
  json::object rings[2];
  Listener* bobs[2] = {&lp, &ll};
  for (int i = 0; i < 2; ++i) {
    rings[i] = bobs[i]->wait("audioVideoInvitation", "started");
    const auto inv = res(rings[i]);
    EXPECT_EQ(str(inv.at("direction")), "Incoming");
    EXPECT_EQ(sdp_of_uri(link_of(inv, "mediaOffer")), kAliceOffer);
    EXPECT_FALSE(link_of(inv, "acceptWithAnswer").empty());
    EXPECT_FALSE(link_of(inv, "decline").empty());
    EXPECT_NE(json::serialize(inv.at("_embedded").at("from")).find("alice@example.org"), std::string::npos);
    EXPECT_EQ(str(bobs[i]->wait("conversation", "added").at("_embedded").at("conversation").at("state")), "Incoming");
  }

  // He answers on the laptop with an application/sdp body.
  const auto accepted = laptop.post(link_of(res(rings[1]), "acceptWithAnswer"), kBobAnswer, {kSdp});
  ASSERT_EQ(accepted.status, 204) << accepted.body;

  // Alice gets his answer, then the invitation succeeds and the call connects.
  const auto negotiation = la.wait("audioVideoNegotiation", "completed");
  EXPECT_EQ(sdp_of_uri(link_of(res(negotiation), "mediaAnswer")), kBobAnswer);
  const auto success = la.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(success.at("status")), "Success");
  const auto a_connected = la.wait("audioVideo", "updated", with_state("Connected"));
  const auto a_av = res(a_connected);
  EXPECT_FALSE(link_of(a_av, "hold").empty());
  const std::string a_stop = link_of(a_av, "stopAudioVideo");
  EXPECT_FALSE(a_stop.empty());
  EXPECT_EQ(a_av.at("video"), json::value(true));
  EXPECT_EQ(a_av.at("onHold"), json::value(false));

  // The laptop is in the call; the phone stops ringing and loses the conversation.
  EXPECT_EQ(str(la.wait("conversation", "updated").at("_embedded").at("conversation").at("state")), "Connected");
  EXPECT_NE(str(la.wait("participant", "added").at("href")).find("bob@example.org"), std::string::npos);
  const auto b_connected = ll.wait("audioVideo", "updated", with_state("Connected"));
  EXPECT_EQ(str(ll.wait("audioVideoInvitation", "completed").at("status")), "Success");
  const std::string b_stop = link_of(res(b_connected), "stopAudioVideo");
  EXPECT_FALSE(b_stop.empty());
  const std::string b_conv = link_of(res(b_connected), "conversation");
  const auto stopped = lp.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(stopped.at("status")), "Failed");
  EXPECT_EQ(reason_subcode(stopped), "AnsweredElsewhere");
  lp.wait("conversation", "deleted");
  const auto late = phone.post(link_of(res(rings[0]), "acceptWithAnswer"), kBobAnswer, {kSdp});
  EXPECT_EQ(late.status, 410) << late.body;
  EXPECT_EQ(subcode_of(late), "InvitationEnded");

  // 9: the connected call as both see it.
  const auto a_conv_now = parse_json(a.get(conv).body);
  EXPECT_EQ(str(a_conv_now.at("state")), "Connected");
  const auto parts = a.get(conv + "/participants");
  ASSERT_EQ(parts.status, 200) << parts.body;
  const auto parts_json = parse_json(parts.body);
  const auto& plist = parts_json.at("_embedded").at("participant").as_array();
  ASSERT_EQ(plist.size(), 1u) << parts.body;
  EXPECT_NE(json::serialize(plist[0]).find("bob@example.org"), std::string::npos);
  const auto av_get = laptop.get(b_conv + "/audioVideo");
  ASSERT_EQ(av_get.status, 200) << av_get.body;
  EXPECT_EQ(str(parse_json(av_get.body).at("state")), "Connected");
  // The phone was shown the conversation while it rang; for it, the call is over.
  EXPECT_EQ(phone.get(phone.href() + b_conv.substr(laptop.href().size())).status, 410);

  // 6: Bob hangs up.
  std::this_thread::sleep_for(1100ms);  // a call of at least a second
  const auto hung = laptop.post(b_stop);
  ASSERT_EQ(hung.status, 204) << hung.body;
  for (auto* l : {&la, &ll}) {
    l->wait("audioVideo", "updated", with_state("Disconnected"));
    l->wait("conversation", "deleted");
  }
  const auto gone = a.get(conv);
  EXPECT_EQ(gone.status, 410) << gone.body;
  EXPECT_EQ(subcode_of(gone), "ConversationEnded");
  EXPECT_EQ(laptop.get(b_conv).status, 410);
  EXPECT_EQ(a.post(a_stop).status, 410);

  // Both histories: a video call, archived, with its length.
  for (auto* app : {&a, &laptop}) {
    const auto log = call_log(*app, "thread-video-call", [](const json::object& l) {
      return l.contains("duration") && l.at("duration").to_number<std::int64_t>() >= 1;
    });
    ASSERT_FALSE(log.empty());
    EXPECT_EQ(str(log.at("type")), "VideoLog") << json::serialize(log);
    EXPECT_EQ(str(log.at("status")), "Archived") << json::serialize(log);
    EXPECT_EQ(json::serialize(log.at("modalities")), R"(["AudioVideo"])");
    EXPECT_GE(log.at("duration").to_number<std::int64_t>(), 1);
    EXPECT_LT(log.at("duration").to_number<std::int64_t>(), 60);
  }
  EXPECT_EQ(missed_count(laptop), 0);
}

// ---- 2: only endpoints that take calls ring ----------------------------------------------

TEST_F(Calls, NobodyCanTakeTheCallSoItFailsAndBobSeesAMissedCall) {
  start();
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp chat(server, bob, app_body("bob-chat", "Browser"));
  ready(a);
  ready(chat, kChatOnly);
  Listener la(a), lc(chat);

  ASSERT_EQ(call(a, "bob@example.org", kAliceOffer, "thread-unreachable").status, 201);
  la.wait("audioVideoInvitation", "started");
  const auto failed = la.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(failed.at("status")), "Failed");
  EXPECT_EQ(reason_subcode(failed), "TemporarilyUnavailable");
  la.wait("conversation", "deleted");

  // The chat-only endpoint never rang, but learns of the missed call.
  lc.wait("missedItems", "updated");
  EXPECT_FALSE(lc.ever_saw("audioVideoInvitation")) << lc.history();
  const auto log = call_log(chat, "thread-unreachable",
                            [](const json::object& l) { return str(l.at("status")) == "Missed"; });
  EXPECT_EQ(str(log.at("status")), "Missed");
  EXPECT_EQ(missed_count(chat), 1);
}

// ---- 3: decline and cancel ------------------------------------------------------------------

TEST_F(Calls, ADeclinedCallIsNotMissedButACancelledOneIs) {
  start();
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp phone(server, bob, app_body("bob-phone", "Phone"));
  UcwaApp laptop(server, bob, app_body("bob-laptop", "Browser"));
  for (auto* app : {&a, &phone, &laptop}) ready(*app);
  Listener la(a), lp(phone), ll(laptop);

  ASSERT_EQ(call(a, "bob@example.org", kAliceOffer, "thread-declined").status, 201);
  la.wait("audioVideoInvitation", "started");
  const auto ring = lp.wait("audioVideoInvitation", "started");
  ll.wait("audioVideoInvitation", "started");
  const auto declined = phone.post(link_of(res(ring), "decline"), R"({"reason":"Local"})");
  ASSERT_EQ(declined.status, 204) << declined.body;
  const auto failed = la.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(failed.at("status")), "Failed");
  EXPECT_EQ(reason_subcode(failed), "Declined");
  la.wait("conversation", "deleted");
  // The laptop stops ringing too, and is told why.
  const auto laptop_ended = ll.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(laptop_ended.at("status")), "Failed");
  EXPECT_EQ(reason_subcode(laptop_ended), "Declined");
  // The phone that declined sees its own invitation end the same way.
  EXPECT_EQ(reason_subcode(lp.wait("audioVideoInvitation", "completed")), "Declined");
  ll.wait("conversation", "deleted");
  EXPECT_EQ(phone.post(link_of(res(ring), "decline")).status, 410);

  ASSERT_EQ(call(a, "bob@example.org", kAliceOffer, "thread-cancelled").status, 201);
  const auto started = la.wait("audioVideoInvitation", "started");
  for (auto* l : {&lp, &ll}) l->wait("audioVideoInvitation", "started");
  const auto cancelled = a.post(link_of(res(started), "cancel"));
  ASSERT_EQ(cancelled.status, 204) << cancelled.body;
  for (auto* l : {&lp, &ll}) {
    const auto ended = l->wait("audioVideoInvitation", "completed");
    EXPECT_EQ(str(ended.at("status")), "Failed");
    EXPECT_EQ(reason_subcode(ended), "MissedCall");  // what wakes a phone with "missed call"
    l->wait("conversation", "deleted");
    l->wait("missedItems", "updated");
  }
  const auto a_done = la.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(a_done.at("status")), "Failed");

  // The missed-items event came after both calls were recorded.
  EXPECT_EQ(str(call_log(phone, "thread-cancelled").at("status")), "Missed");
  EXPECT_NE(str(call_log(phone, "thread-declined").at("status")), "Missed");
  EXPECT_NE(str(call_log(a, "thread-cancelled").at("status")), "Missed");
  EXPECT_EQ(missed_count(laptop), 1);
}

// ---- 4: ring timeout --------------------------------------------------------------------------

TEST_F(Calls, AnUnansweredCallRingsOutAndIsMissed) {
  // The shortest ring the configuration allows (5 s), at time_scale 10: half a second.
  start("[ucwa]\ntime_scale = 10\nresume_after_seconds = 86400\nidle_timeout_without_event_channel = 86400\n"
        "[calls]\nring_timeout_seconds = 5\n");
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp phone(server, bob, app_body("bob-phone", "Phone"));
  ready(a);
  ready(phone);
  Listener la(a), lp(phone);

  ASSERT_EQ(call(a, "bob@example.org", kAliceOffer, "thread-rang-out").status, 201);
  const auto ring = lp.wait("audioVideoInvitation", "started");
  const auto failed = la.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(failed.at("status")), "Failed");
  EXPECT_EQ(str(failed.at("reason").at("code")), "Timeout");
  EXPECT_EQ(reason_subcode(failed), "NoAnswer");
  const auto stopped = lp.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(stopped.at("status")), "Failed");
  EXPECT_EQ(reason_subcode(stopped), "MissedCall");
  lp.wait("conversation", "deleted");
  const auto missed = lp.wait("missedItems", "updated");
  EXPECT_EQ(res(missed).at("missedConversationsCount").to_number<int>(), 1);

  const auto log = call_log(phone, "thread-rang-out");
  EXPECT_EQ(str(log.at("status")), "Missed");
  EXPECT_EQ(str(log.at("type")), "VideoLog");
  EXPECT_EQ(json::serialize(log.at("modalities")), R"(["AudioVideo"])");
  EXPECT_EQ(log.at("duration").to_number<std::int64_t>(), 0);
  EXPECT_EQ(missed_count(phone), 1);
  // Too late to pick up.
  EXPECT_EQ(phone.post(link_of(res(ring), "acceptWithAnswer"), kBobAnswer, {kSdp}).status, 410);
}

// ---- 5: hold and resume, one renegotiation at a time; DELETE hangs up ---------------------

TEST_F(Calls, AliceHoldsAndResumesThenLeavesTheConversation) {
  start();
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp b(server, bob, app_body("bob-laptop", "Browser"));
  ready(a);
  ready(b);
  Listener la(a), lb(b);
  ASSERT_EQ(call(a, "bob@example.org", kAliceOffer, "thread-hold").status, 201);
  const auto ring = lb.wait("audioVideoInvitation", "started");
  ASSERT_EQ(b.post(link_of(res(ring), "acceptWithAnswer"), kBobAnswer, {kSdp}).status, 204);
  const auto a_av = res(la.wait("audioVideo", "updated", with_state("Connected")));
  const auto b_av = res(lb.wait("audioVideo", "updated", with_state("Connected")));
  const std::string hold = link_of(a_av, "hold"), resume = link_of(a_av, "resume");
  ASSERT_FALSE(hold.empty());
  ASSERT_FALSE(resume.empty());

  // Hold: Alice stops receiving (sendonly), Bob answers recvonly.
  const std::string hold_offer = replaced(replaced(kAliceOffer, "a=sendrecv", "a=sendonly"),
                                          "o=- 7614219274584779017 2", "o=- 7614219274584779017 3");
  const auto held = a.post(hold, hold_offer, {kSdp});
  ASSERT_EQ(held.status, 201) << held.body;
  EXPECT_NE(held.header("Location").find("/audioVideo/renegotiations/"), std::string::npos);
  const auto reneg = lb.wait("audioVideoRenegotiation", "started");
  EXPECT_EQ(str(res(reneg).at("intent")), "hold");
  EXPECT_EQ(sdp_of_uri(link_of(res(reneg), "mediaOffer")), hold_offer);
  // One at a time: Bob cannot start his own change while hers waits.
  const auto clash = b.post(link_of(b_av, "audioVideoRenegotiations") + "?intent=update", kBobAnswer, {kSdp});
  EXPECT_EQ(clash.status, 409) << clash.body;
  EXPECT_EQ(subcode_of(clash), "RenegotiationInProgress");
  const auto clash2 = a.post(resume, kAliceOffer, {kSdp});
  EXPECT_EQ(clash2.status, 409) << clash2.body;
  EXPECT_EQ(subcode_of(clash2), "RenegotiationInProgress");

  const std::string hold_answer = replaced(replaced(kBobAnswer, "a=sendrecv", "a=recvonly"),
                                           "o=- 2890844526172635512 2", "o=- 2890844526172635512 3");
  ASSERT_EQ(b.post(link_of(res(reneg), "acceptWithAnswer"), hold_answer, {kSdp}).status, 204);
  const auto done = la.wait("audioVideoRenegotiation", "completed");
  EXPECT_EQ(str(done.at("status")), "Success");
  EXPECT_EQ(sdp_of_uri(link_of(res(done), "mediaAnswer")), hold_answer);
  for (auto* l : {&la, &lb}) {
    const auto on_hold = res(l->wait("audioVideo", "updated"));
    EXPECT_EQ(on_hold.at("onHold"), json::value(true)) << json::serialize(on_hold);
  }

  // Resume clears it.
  const std::string resume_offer = replaced(kAliceOffer, "o=- 7614219274584779017 2", "o=- 7614219274584779017 4");
  ASSERT_EQ(a.post(resume, resume_offer, {kSdp}).status, 201);
  const auto reneg2 = lb.wait("audioVideoRenegotiation", "started");
  EXPECT_EQ(str(res(reneg2).at("intent")), "resume");
  const std::string resume_answer = replaced(kBobAnswer, "o=- 2890844526172635512 2", "o=- 2890844526172635512 4");
  ASSERT_EQ(b.post(link_of(res(reneg2), "acceptWithAnswer"), resume_answer, {kSdp}).status, 204);
  EXPECT_EQ(str(la.wait("audioVideoRenegotiation", "completed").at("status")), "Success");
  for (auto* l : {&la, &lb}) {
    const auto resumed = res(l->wait("audioVideo", "updated"));
    EXPECT_EQ(resumed.at("onHold"), json::value(false)) << json::serialize(resumed);
  }
  // The renegotiation is over: answering it again is refused.
  EXPECT_EQ(b.post(link_of(res(reneg2), "acceptWithAnswer"), resume_answer, {kSdp}).status, 410);

  // Alice leaves the conversation: the call is over for both.
  const std::string conv = link_of(a_av, "conversation");
  ASSERT_EQ(a.del(conv).status, 204);
  for (auto* l : {&la, &lb}) {
    l->wait("audioVideo", "updated", with_state("Disconnected"));
    l->wait("conversation", "deleted");
  }
  EXPECT_EQ(a.get(conv).status, 410);
  const auto log = call_log(b, "thread-hold");
  EXPECT_EQ(str(log.at("type")), "VideoLog");
}

// ---- 7: bad input -------------------------------------------------------------------------------

TEST_F(Calls, BadOffersAndAnswersAreRefusedWithoutHarm) {
  start();
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp b(server, bob, app_body("bob-laptop", "Browser"));
  ready(a);
  ready(b);
  Listener la(a), lb(b);
  const std::string start_href = a.href() + "/communication/audioVideoInvitations";

  const auto expect_refused = [&](const Reply& r, const std::string& subcode, const std::string& what) {
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_EQ(subcode_of(r), subcode) << what << ": " << r.body;
  };
  expect_refused(a.post(start_href, R"({"to":"sip:bob@example.org"})"), "ParameterValidationFailure",
                 "no mediaOffer");
  expect_refused(call(a, "bob@example.org", "this is not SDP at all\r\n"), "InvalidSdp", "garbage");
  expect_refused(call(a, "bob@example.org", without_lines(kAliceOffer, "a=ice-pwd")), "InvalidSdp",
                 "no ice-pwd");
  expect_refused(call(a, "bob@example.org", without_lines(kAliceOffer, "a=fingerprint")), "InvalidSdp",
                 "no fingerprint");
  {
    std::string huge = kAliceOffer;
    while (huge.size() <= 64 * 1024) huge += "a=candidate:1873251694 1 udp 41885695 198.51.100.20 61002 typ relay raddr 203.0.113.45 rport 53611\r\n";
    const auto r = call(a, "bob@example.org", huge);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(subcode_of(r), "InvalidSdp") << r.body;
  }
  {
    json::object body{{"to", "sip:bob@example.org"},
                      {"_links", json::object{{"mediaOffer", json::object{{"href", "https://example.org/offer.sdp"}}}}}};
    expect_refused(a.post(start_href, json::serialize(body)), "ParameterValidationFailure", "not a data URI");
  }
  expect_refused(call(a, "alice@example.org"), "ParameterValidationFailure", "a call to herself");
  // The server is still up and nobody rang.
  EXPECT_EQ(a.get(a.href()).status, 200);

  // Someone who does not exist: the invitation fails the documented way.
  ASSERT_EQ(call(a, "nobody@example.org").status, 201);
  la.wait("audioVideoInvitation", "started");
  const auto unknown = la.wait("audioVideoInvitation", "completed");
  EXPECT_EQ(str(unknown.at("status")), "Failed");
  EXPECT_EQ(reason_subcode(unknown), "DestinationNotFound");

  // A bad answer leaves the call ringing; a good one then connects it.
  ASSERT_EQ(call(a, "bob@example.org").status, 201);
  const auto ring = lb.wait("audioVideoInvitation", "started");
  EXPECT_FALSE(lb.ever_saw("audioVideoInvitation", "completed"));  // the bad offers never rang
  const std::string accept = link_of(res(ring), "acceptWithAnswer");
  const auto bad = b.post(accept, without_lines(kBobAnswer, "a=fingerprint"), {kSdp});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(subcode_of(bad), "InvalidSdp");
  EXPECT_EQ(b.post(accept, "v=0\r\nnonsense\r\n", {kSdp}).status, 400);
  const auto inv = b.get(link_of(res(ring), "self"));
  ASSERT_EQ(inv.status, 200) << inv.body;
  EXPECT_EQ(str(parse_json(inv.body).at("state")), "Connecting");
  // The JSON form of the answer works too, with UCWA's own JSON media type.
  const json::object answer{{"_links", json::object{{"mediaAnswer", json::object{{"href", sdp_uri(kBobAnswer)}}}}}};
  const auto took = b.post(accept, json::serialize(answer), {"Content-Type: application/vnd.microsoft.com.ucwa+json"});
  ASSERT_EQ(took.status, 204) << took.body;
  EXPECT_EQ(sdp_of_uri(link_of(res(la.wait("audioVideoNegotiation", "completed")), "mediaAnswer")), kBobAnswer);
  EXPECT_EQ(str(la.wait("audioVideoInvitation", "completed", [](const json::object& e) {
              return str(e.at("status")) == "Success";
            }).at("status")),
            "Success");
}

// ---- 8: mobility policy ---------------------------------------------------------------------

TEST_F(Calls, APolicyCanForbidCallsOrKeepThemOffCellular) {
  start();
  UcwaApp a(server, alice, app_body("alice-phone", "Phone"));
  ready(a);
  EXPECT_EQ(report_network(a, "Cellular").status, 204);

  grant("alice@example.org", "no-voip", {"--enable-ip-audio-video", "false"});
  const auto disabled = call(a, "bob@example.org");
  EXPECT_EQ(disabled.status, 403) << disabled.body;
  EXPECT_EQ(subcode_of(disabled), "IPAudioVideoDisabled");

  grant("alice@example.org", "voip-on-wifi", {"--require-wifi-for-ip-audio", "true"});
  const auto cellular = call(a, "bob@example.org");
  EXPECT_EQ(cellular.status, 403) << cellular.body;
  EXPECT_EQ(subcode_of(cellular), "WiFiRequired");
  // On Wi-Fi she may call.
  EXPECT_EQ(report_network(a, "Wifi").status, 204);
  UcwaApp b(server, bob, app_body("bob-laptop", "Browser"));
  ready(b);
  Listener la(a), lb(b);
  ASSERT_EQ(call(a, "bob@example.org").status, 201);
  ASSERT_EQ(str(la.wait("audioVideoInvitation", "started").at("type")), "started");
  const auto ring = lb.wait("audioVideoInvitation", "started");
  EXPECT_EQ(sdp_of_uri(link_of(res(ring), "mediaOffer")), kAliceOffer);
  ASSERT_EQ(b.post(link_of(res(ring), "decline")).status, 204);
  la.wait("audioVideoInvitation", "completed");
}

TEST_F(Calls, VideoOnlyOnWifiForTheCaller) {
  start();
  UcwaApp a(server, alice, app_body("alice-phone", "Phone"));
  UcwaApp b(server, bob, app_body("bob-laptop", "Browser"));
  ready(a);
  ready(b);
  Listener la(a), lb(b);
  grant("alice@example.org", "video-on-wifi", {"--require-wifi-for-ip-video", "true"});
  EXPECT_EQ(report_network(a, "Cellular").status, 204);
  EXPECT_EQ(report_network(b, "Wifi").status, 204);

  ASSERT_EQ(call(a, "bob@example.org", kAliceOffer, "thread-audio-only").status, 201);
  const auto started = res(la.wait("audioVideoInvitation", "started"));
  EXPECT_EQ(str(started.at("restriction")), "VideoRequiresWiFi") << json::serialize(started);
  EXPECT_FALSE(str(started.at("restrictionMessage")).empty());
  const auto ring = res(lb.wait("audioVideoInvitation", "started"));
  const std::string offer = sdp_of_uri(link_of(ring, "mediaOffer"));
  EXPECT_TRUE(video_rejected(offer)) << m_line(offer, "video");
  EXPECT_EQ(bundle_line(offer), "a=group:BUNDLE 0");
  EXPECT_FALSE(m_line(offer, "audio").starts_with("m=audio 0 ")) << offer;
  EXPECT_FALSE(ring.contains("restriction"));  // Bob himself may have video

  // Even an answer that (wrongly) keeps video does not give Alice video on cellular.
  ASSERT_EQ(b.post(link_of(ring, "acceptWithAnswer"), kBobAnswer, {kSdp}).status, 204);
  const std::string answer = sdp_of_uri(link_of(res(la.wait("audioVideoNegotiation", "completed")), "mediaAnswer"));
  EXPECT_TRUE(video_rejected(answer)) << m_line(answer, "video");
  const auto a_av = res(la.wait("audioVideo", "updated", with_state("Connected")));
  EXPECT_EQ(a_av.at("video"), json::value(false));
  EXPECT_EQ(str(a_av.at("restriction")), "VideoRequiresWiFi");

  // She cannot turn video on while on cellular.
  const auto add = a.post(link_of(a_av, "addVideo"), kAliceOffer, {kSdp});
  EXPECT_EQ(add.status, 403) << add.body;
  EXPECT_EQ(subcode_of(add), "VideoRequiresWiFi");

  ASSERT_EQ(a.post(link_of(a_av, "stopAudioVideo")).status, 204);
  lb.wait("conversation", "deleted");
  // The call never had video: both histories say so.
  for (auto* app : {&a, &b}) EXPECT_EQ(str(call_log(*app, "thread-audio-only").at("type")), "AudioLog");
}

TEST_F(Calls, VideoOnlyOnWifiForTheCallee) {
  start();
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp b(server, bob, app_body("bob-phone", "Phone"));
  ready(a);
  ready(b);
  Listener la(a), lb(b);
  grant("bob@example.org", "video-on-wifi", {"--require-wifi-for-ip-video", "true"});
  EXPECT_EQ(report_network(a, "Wifi").status, 204);
  EXPECT_EQ(report_network(b, "Cellular").status, 204);

  ASSERT_EQ(call(a, "bob@example.org", kAliceOffer, "thread-bob-on-cellular").status, 201);
  const auto started = res(la.wait("audioVideoInvitation", "started"));
  EXPECT_FALSE(started.contains("restriction"));
  const auto ring = res(lb.wait("audioVideoInvitation", "started"));
  EXPECT_EQ(str(ring.at("restriction")), "VideoRequiresWiFi") << json::serialize(ring);
  const std::string offer = sdp_of_uri(link_of(ring, "mediaOffer"));
  EXPECT_TRUE(video_rejected(offer)) << m_line(offer, "video");
  EXPECT_EQ(bundle_line(offer), "a=group:BUNDLE 0");

  // His answer keeps video; Alice is told it is rejected.
  ASSERT_EQ(b.post(link_of(ring, "acceptWithAnswer"), kBobAnswer, {kSdp}).status, 204);
  const std::string answer = sdp_of_uri(link_of(res(la.wait("audioVideoNegotiation", "completed")), "mediaAnswer"));
  EXPECT_TRUE(video_rejected(answer)) << m_line(answer, "video");
  EXPECT_FALSE(m_line(answer, "audio").starts_with("m=audio 0 "));
  const auto b_av = res(lb.wait("audioVideo", "updated", with_state("Connected")));
  EXPECT_EQ(b_av.at("video"), json::value(false));
  EXPECT_EQ(str(b_av.at("restriction")), "VideoRequiresWiFi");
  EXPECT_EQ(res(la.wait("audioVideo", "updated", with_state("Connected"))).at("video"), json::value(false));
  const std::string bob_offer = replaced(replaced(kBobAnswer, "a=setup:active", "a=setup:actpass"),
                                         "o=- 2890844526172635512 2", "o=- 2890844526172635512 3");
  const auto add = b.post(link_of(b_av, "addVideo"), bob_offer, {kSdp});
  EXPECT_EQ(add.status, 403) << add.body;
  EXPECT_EQ(subcode_of(add), "VideoRequiresWiFi");

  // An audio call, whatever the offer once had: both histories say AudioLog.
  ASSERT_EQ(b.post(link_of(b_av, "stopAudioVideo")).status, 204);
  la.wait("conversation", "deleted");
  for (auto* app : {&a, &b}) EXPECT_EQ(str(call_log(*app, "thread-bob-on-cellular").at("type")), "AudioLog");
}

TEST_F(Calls, StartAudioOffersNoVideo) {
  start();
  UcwaApp a(server, alice, app_body("alice-browser", "Browser"));
  UcwaApp b(server, bob, app_body("bob-laptop", "Browser"));
  ready(a);
  ready(b);
  Listener la(a), lb(b);
  const auto comm = parse_json(a.get(a.href() + "/communication").body).as_object();
  const std::string start_audio = link_of(comm, "startAudio");
  ASSERT_NE(start_audio.find("modality=Audio"), std::string::npos) << json::serialize(comm);
  json::object body{{"to", "sip:bob@example.org"}, {"threadId", "thread-audio"}};
  body["_links"] = json::object{{"mediaOffer", json::object{{"href", sdp_uri(kAliceOffer)}}}};
  ASSERT_EQ(a.post(start_audio, json::serialize(body)).status, 201);
  EXPECT_EQ(res(la.wait("audioVideoInvitation", "started")).at("video"), json::value(false));
  const auto ring = res(lb.wait("audioVideoInvitation", "started"));
  const std::string offer = sdp_of_uri(link_of(ring, "mediaOffer"));
  EXPECT_TRUE(video_rejected(offer)) << m_line(offer, "video");
  EXPECT_EQ(bundle_line(offer), "a=group:BUNDLE 0");
  // Bob's client answers with video anyway; Alice does not get it.
  ASSERT_EQ(b.post(link_of(ring, "acceptWithAnswer"), kBobAnswer, {kSdp}).status, 204);
  const std::string answer = sdp_of_uri(link_of(res(la.wait("audioVideoNegotiation", "completed")), "mediaAnswer"));
  EXPECT_TRUE(video_rejected(answer)) << m_line(answer, "video");

  // Bob declines Alice's request to add video: it fails, and nothing changes.
  const auto a_av = res(la.wait("audioVideo", "updated", with_state("Connected")));
  EXPECT_EQ(a_av.at("video"), json::value(false));
  const std::string video_offer = replaced(kAliceOffer, "o=- 7614219274584779017 2", "o=- 7614219274584779017 3");
  ASSERT_EQ(a.post(link_of(a_av, "addVideo"), video_offer, {kSdp}).status, 201);
  const auto reneg = res(lb.wait("audioVideoRenegotiation", "started"));
  EXPECT_EQ(str(reneg.at("intent")), "addVideo");
  ASSERT_EQ(b.post(link_of(reneg, "decline")).status, 204);
  const auto refused = la.wait("audioVideoRenegotiation", "completed");
  EXPECT_EQ(str(refused.at("status")), "Failed");
  EXPECT_EQ(str(parse_json(a.get(link_of(a_av, "self")).body).at("video")), "false");
  ASSERT_EQ(a.post(link_of(a_av, "stopAudioVideo")).status, 204);
  EXPECT_EQ(str(call_log(b, "thread-audio").at("type")), "AudioLog");
}

}  // namespace
}  // namespace parley::e2e
