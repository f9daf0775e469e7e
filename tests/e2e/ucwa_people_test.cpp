// People (UCWA.md §5.2) against the real parleyd: presence seen by a subscriber within one
// event-channel round, aggregation as watchers see it, address-book search and its ranking,
// contact lists that survive a restart, subscription limits and expiry, and the bounded queue.
#include "ucwa_client.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

namespace parley::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

std::string subscribe_body(std::vector<std::string> uris, int duration = 30) {
  json::object b;
  b["duration"] = duration;
  json::array a;
  for (auto& u : uris) a.emplace_back(u);
  b["uris"] = std::move(a);
  return json::serialize(b);
}

// The events of one P-GET that concern `rel`.
std::vector<json::object> events_named(const json::object& package, const std::string& rel) {
  std::vector<json::object> out;
  for (auto& e : UcwaApp::events_of(package))
    if (str(e.at("rel")) == rel) out.push_back(e);
  return out;
}

// Fetches packages until one holds an event with link rel `rel` (bounded).
json::object wait_for(UcwaApp& app, const std::string& rel, int rounds = 5) {
  for (int i = 0; i < rounds; ++i) {
    auto p = app.pget();
    auto found = events_named(p, rel);
    if (!found.empty()) return found.back();
  }
  ADD_FAILURE() << "no " << rel << " event within " << rounds << " packages";
  return {};
}

class People : public ::testing::Test {
protected:
  void start(const std::string& extra_toml = "") {
    server.start_with_test_config(dir.path(), extra_toml);
    add_user(server, "alice@example.org", {"--name", "Alice Example", "--email", "alice@example.org",
                                           "--phone-work", "+1 (425) 555-0100"});
    add_user(server, "bob@example.org", {"--name", "Bob Builder", "--email", "bob@example.org"});
    alice = sign_in(server, "alice@example.org");
    bob = sign_in(server, "bob@example.org");
  }
  TempDir dir;
  Parleyd server;
  std::string alice, bob;
};

TEST_F(People, ASubscriberSeesPresenceChangesWithinOneRound) {
  start();
  UcwaApp watcher(server, bob);
  watcher.make_me_available();
  watcher.pget();  // makeMeAvailable's own events
  const auto sub = watcher.post(watcher.href() + "/people/presenceSubscriptions",
                                subscribe_body({"sip:alice@example.org"}));
  ASSERT_EQ(sub.status, 201) << sub.body;
  EXPECT_FALSE(sub.header("Location").empty());
  // The current state arrives first: Alice is not signed in.
  auto initial = wait_for(watcher, "contactPresence");
  ASSERT_TRUE(initial.contains("_embedded")) << json::serialize(initial);
  EXPECT_EQ(str(initial.at("_embedded").at("contactPresence").at("availability")), "Offline");

  UcwaApp phone(server, alice, json::object{{"culture", "en-US"}, {"endpointId", "p"},
                                            {"userAgent", "e2e"}, {"type", "Phone"}});
  phone.make_me_available();
  auto online = wait_for(watcher, "contactPresence");
  EXPECT_EQ(str(online.at("_embedded").at("contactPresence").at("availability")), "Online");
  EXPECT_EQ(str(online.at("_embedded").at("contactPresence").at("deviceType")), "Mobile");

  // A parked P-GET returns the change as soon as it happens.
  auto parked = std::async(std::launch::async, [&] { return watcher.pget(); });
  std::this_thread::sleep_for(200ms);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(phone.post(phone.href() + "/me/presence", R"({"availability":"Busy"})").status, 204);
  const auto package = parked.get();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  const auto busy = events_named(package, "contactPresence");
  ASSERT_FALSE(busy.empty()) << json::serialize(package);
  EXPECT_EQ(str(busy.back().at("_embedded").at("contactPresence").at("availability")), "Busy");
  EXPECT_LT(elapsed, 1s);

  // Notes travel the same way.
  ASSERT_EQ(phone.post(phone.href() + "/me/note", R"({"message":"In the lab"})").status, 204);
  auto note = wait_for(watcher, "contactNote");
  EXPECT_EQ(str(note.at("_embedded").at("contactNote").at("message")), "In the lab");
  // And a direct read agrees.
  const auto direct = watcher.get(watcher.href() + "/people/alice@example.org/presence");
  EXPECT_EQ(str(parse_json(direct.body).at("availability")), "Busy");
}

TEST_F(People, WatchersSeeTheAggregateOfAllEndpoints) {
  start();
  UcwaApp watcher(server, bob);
  UcwaApp phone(server, alice, json::object{{"culture", "en-US"}, {"endpointId", "p"},
                                            {"userAgent", "e2e"}, {"type", "Phone"}});
  UcwaApp laptop(server, alice, json::object{{"culture", "en-US"}, {"endpointId", "l"},
                                             {"userAgent", "e2e"}, {"type", "Desktop"}});
  phone.make_me_available();
  laptop.make_me_available(R"({"signInAs":"DoNotDisturb"})");
  const auto presence = [&] {
    return str(parse_json(watcher.get(watcher.href() + "/people/sip:alice@example.org/presence").body)
                   .at("availability"));
  };
  EXPECT_EQ(presence(), "DoNotDisturb");
  EXPECT_EQ(laptop.del(laptop.href()).status, 204);
  EXPECT_EQ(presence(), "DoNotDisturb");  // what she set holds while she has an endpoint
  EXPECT_EQ(phone.post(phone.href() + "/me/presence", "{}").status, 204);
  EXPECT_EQ(presence(), "Online");
  EXPECT_EQ(phone.del(phone.href()).status, 204);
  EXPECT_EQ(presence(), "Offline");
}

TEST_F(People, SearchFindsByNameEmailSipAndPhoneRanked) {
  start();
  add_user(server, "robert@example.org", {"--name", "Robert Bobson", "--email", "bobby@example.org"});
  add_user(server, "bobcat@example.org", {"--name", "Zed Cat"});
  add_user(server, "off@example.org", {"--name", "Bob Offline"});
  ASSERT_EQ(run_command({parley_binary(), "--data-dir", server.data_dir().string(), "user", "disable",
                         "off@example.org"}).exit_code, 0);
  UcwaApp app(server, alice);
  const auto search = [&](const std::string& q) {
    const auto r = app.get(app.href() + "/people/search?query=" + q);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> uris;
    const auto v = parse_json(r.body);
    for (const auto& c : v.at("_embedded").at("contact").as_array()) uris.push_back(str(c.at("uri")));
    return uris;
  };
  // Display-name prefix first, then a later word of a name, then e-mail/SIP prefixes; the
  // disabled user never shows.
  EXPECT_EQ(search("bob"), (std::vector<std::string>{"sip:bob@example.org", "sip:robert@example.org",
                                                     "sip:bobcat@example.org"}));
  EXPECT_EQ(search("BOBBY%40example.org"), (std::vector<std::string>{"sip:robert@example.org"}));
  EXPECT_EQ(search("sip%3Abobcat"), (std::vector<std::string>{"sip:bobcat@example.org"}));
  EXPECT_EQ(search("%2B1%20425%20555"), (std::vector<std::string>{"sip:alice@example.org"}));
  EXPECT_TRUE(search("nobody").empty());

  const auto limited = parse_json(app.get(app.href() + "/people/search?query=bob&limit=1").body);
  EXPECT_EQ(limited.at("_embedded").at("contact").as_array().size(), 1u);
  EXPECT_EQ(limited.at("moreResultsAvailable"), true);
  EXPECT_EQ(app.get(app.href() + "/people/search?query=bob&limit=0").status, 400);
  EXPECT_EQ(app.get(app.href() + "/people/search?query=bob&limit=101").status, 400);
  EXPECT_EQ(app.get(app.href() + "/people/search?query=" + std::string(257, 'a')).status, 400);
  EXPECT_EQ(app.get(app.href() + "/people/search").status, 400);
}

TEST_F(People, ContactListsAndGroupsSurviveARestart) {
  start();
  {
    UcwaApp app(server, alice);
    const auto group = app.post(app.href() + "/people/groups", R"({"name":"Project X"})");
    ASSERT_EQ(group.status, 201) << group.body;
    const std::string id = str(parse_json(group.body).at("id"));
    EXPECT_EQ(app.post(app.href() + "/people/groups", R"({"name":"project x"})").status, 409);
    EXPECT_LT(app.post(app.href() + "/people/groupMemberships?contactUri=sip:bob@example.org&groupId=" + id).status, 300);
    EXPECT_LT(app.post(app.href() + "/people/groupMemberships?contactUri=sip:partner@fabrikam.example").status, 300);
    EXPECT_EQ(app.post(app.href() + "/people/groupMemberships?contactUri=not-an-address").status, 400);
  }
  ASSERT_EQ(server.stop(), 0);
  server.start_with_test_config(dir.path());
  UcwaApp app(server, sign_in(server, "alice@example.org"));
  const auto contacts = parse_json(app.get(app.href() + "/people/contacts").body);
  std::vector<std::string> uris;
  for (const auto& c : contacts.at("_embedded").at("contact").as_array()) uris.push_back(str(c.at("uri")));
  std::sort(uris.begin(), uris.end());
  EXPECT_EQ(uris, (std::vector<std::string>{"sip:bob@example.org", "sip:partner@fabrikam.example"}));
  const auto groups = parse_json(app.get(app.href() + "/people/groups").body);
  bool found = false;
  for (const auto& g : groups.at("_embedded").at("group").as_array())
    if (str(g.at("name")) == "Project X") found = true;
  EXPECT_TRUE(found) << json::serialize(groups);
  EXPECT_TRUE(groups.at("_embedded").as_object().contains("defaultGroup"));
  EXPECT_TRUE(groups.at("_embedded").as_object().contains("pinnedGroup"));
  // Removing from every group empties the list.
  EXPECT_LT(app.post(app.href() + "/people/removeContactFromAllGroups?contactUri=sip:bob@example.org").status, 300);
  const auto after = parse_json(app.get(app.href() + "/people/contacts").body);
  EXPECT_EQ(after.at("_embedded").at("contact").as_array().size(), 1u);
}

TEST_F(People, RenamingAGroupFollowsThePutRules) {
  start();
  UcwaApp app(server, alice);
  const auto created = app.post(app.href() + "/people/groups", R"({"name":"Team"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string href = created.header("Location");
  auto group = parse_json(app.get(href).body).as_object();
  const std::string etag = "\"" + str(group.at("etag")) + "\"";
  group["name"] = "Dream Team";
  const std::string body = json::serialize(group);
  EXPECT_EQ(app.put(href, body).status, 428);
  EXPECT_EQ(app.put(href, body, {"If-Match: \"stale\""}).status, 412);
  EXPECT_EQ(app.put(href, R"({"name":"Dream Team"})", {"If-Match: " + etag}).status, 400);
  const auto renamed = app.put(href, body, {"If-Match: " + etag});
  EXPECT_EQ(renamed.status, 204);
  EXPECT_EQ(str(parse_json(app.get(href).body).at("name")), "Dream Team");
  // The etag moved on: the old one is stale now.
  EXPECT_EQ(app.put(href, body, {"If-Match: " + etag}).status, 412);
  // Built-in groups keep their names.
  const auto groups = parse_json(app.get(app.href() + "/people/groups").body);
  const std::string pinned = str(groups.at("_embedded").at("pinnedGroup").at("_links").at("self").at("href"));
  EXPECT_EQ(app.put(pinned, R"({"name":"Mine"})", {"If-Match: *"}).status, 403);
}

TEST_F(People, SubscriptionsAreLimitedPerApplication) {
  start("[ucwa]\nmax_presence_subscriptions = 2\nmax_subscribed_contacts = 3\n");
  UcwaApp app(server, bob);
  EXPECT_EQ(app.post(app.href() + "/people/presenceSubscriptions", subscribe_body({"sip:a@example.org"})).status, 201);
  EXPECT_EQ(app.post(app.href() + "/people/presenceSubscriptions", subscribe_body({"sip:b@example.org"})).status, 201);
  const auto third = app.post(app.href() + "/people/presenceSubscriptions", subscribe_body({"sip:c@example.org"}));
  EXPECT_EQ(third.status, 403);
  EXPECT_EQ(subcode_of(third), "LimitExceeded");
  UcwaApp other(server, bob);
  const auto wide = other.post(other.href() + "/people/presenceSubscriptions",
                               subscribe_body({"sip:a@x.org", "sip:b@x.org", "sip:c@x.org", "sip:d@x.org"}));
  EXPECT_EQ(wide.status, 403);
  EXPECT_EQ(subcode_of(wide), "LimitExceeded");
  EXPECT_EQ(other.post(other.href() + "/people/presenceSubscriptions", subscribe_body({"sip:a@x.org"}, 31)).status, 400);
  EXPECT_EQ(other.post(other.href() + "/people/presenceSubscriptions", subscribe_body({"alice"})).status, 400);
}

TEST_F(People, SubscriptionsExpireAndStopDelivering) {
  // 10 minutes at time_scale 1000 = 0.6 s.
  start("[ucwa]\ntime_scale = 1000\nexpiry_check_seconds = 60\nresume_after_seconds = 86400\n"
        "idle_timeout_without_event_channel = 86400\n");
  UcwaApp watcher(server, bob);
  ASSERT_EQ(watcher.post(watcher.href() + "/people/presenceSubscriptions",
                         subscribe_body({"sip:alice@example.org"}, 10)).status, 201);
  auto gone = wait_for(watcher, "presenceSubscription", 20);
  // The warning comes before the end; wait for the deletion itself.
  for (int i = 0; i < 20 && str(gone.at("type")) != "deleted"; ++i) gone = wait_for(watcher, "presenceSubscription", 20);
  EXPECT_EQ(str(gone.at("type")), "deleted");
  UcwaApp phone(server, alice);
  phone.make_me_available();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(events_named(watcher.pget(), "contactPresence").empty());
}

TEST_F(People, AClientThatNeverFetchesIsToldToResync) {
  start("[ucwa]\nmax_pending_events = 16\n");
  UcwaApp app(server, bob);
  std::vector<std::string> uris;
  for (int i = 0; i < 20; ++i) uris.push_back("sip:user" + std::to_string(i) + "@example.org");
  // One initial contactPresence event per address: more than the channel keeps.
  ASSERT_EQ(app.post(app.href() + "/people/presenceSubscriptions", subscribe_body(uris)).status, 201);
  const auto r = app.pget_raw();
  ASSERT_EQ(r.status, 200);
  const auto package = parse_json(r.body).as_object();
  EXPECT_TRUE(package.at("_links").as_object().contains("resync")) << r.body;
}

TEST_F(People, AResumedApplicationHasLostItsSubscriptions) {
  // resume_after 60 s = 0.6 s at time_scale 100.
  start("[ucwa]\ntime_scale = 100\nresume_after_seconds = 60\nexpiry_check_seconds = 60\n");
  UcwaApp watcher(server, bob);
  ASSERT_EQ(watcher.post(watcher.href() + "/people/presenceSubscriptions",
                         subscribe_body({"sip:alice@example.org"})).status, 201);
  wait_for(watcher, "contactPresence");
  std::this_thread::sleep_for(1000ms);
  const auto resumed = watcher.pget();
  ASSERT_TRUE(resumed.at("_links").as_object().contains("resume")) << json::serialize(resumed);
  const auto subs = parse_json(watcher.get(watcher.href() + "/people/subscribedContacts").body);
  const auto* embedded = subs.as_object().if_contains("_embedded");
  EXPECT_TRUE(!embedded || embedded->at("contact").as_array().empty()) << json::serialize(subs);
  UcwaApp phone(server, alice);
  phone.make_me_available();
  EXPECT_TRUE(events_named(watcher.pget(), "contactPresence").empty());
}

}  // namespace
}  // namespace parley::e2e
