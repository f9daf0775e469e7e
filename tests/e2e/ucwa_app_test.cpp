// UCWA applications, the event channel, me and presence (UCWA.md §3, §4, §5.1) against the real
// parleyd: creation rules, isolation between users, event-channel semantics, presence
// aggregation and idle rules, expiry by device class, and bad input.
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

constexpr char kJson[] = "Content-Type: application/json";
// A browser's Web Push subscription: p256dh is P-256's base point (any point on the curve will
// do for registering), the endpoint a loopback port where nothing listens.
constexpr char kWebPushRegistration[] =
    R"({"provider":"webpush","subscription":{"endpoint":"https://127.0.0.1:9/wp/phone","keys":{)"
    R"("p256dh":"BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU",)"
    R"("auth":"MDEyMzQ1Njc4OWFiY2RlZg"}}})";

json::object app_body(const std::string& endpoint, const std::string& type,
                      const std::string& instance = "") {
  json::object b;
  b["culture"] = "en-US";
  b["endpointId"] = endpoint;
  b["userAgent"] = "Parley e2e/1.0";
  if (!type.empty()) b["type"] = type;
  if (!instance.empty()) b["instanceId"] = instance;
  return b;
}

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

bool has_link(const json::object& resource, const char* rel) {
  return resource.at("_links").as_object().contains(rel);
}

std::string availability_of(const Reply& r) {
  return std::string(parse_json(r.body).at("availability").as_string());
}

class Ucwa : public ::testing::Test {
protected:
  void start(const std::string& extra_toml = "") {
    server.start_with_test_config(dir.path(), extra_toml);
    add_user(server, "alice@example.org", {"--name", "Alice Example", "--email", "alice@example.org"});
    add_user(server, "bob@example.org", {"--name", "Bob Builder"});
    alice = sign_in(server, "alice@example.org");
    bob = sign_in(server, "bob@example.org");
  }
  TempDir dir;
  Parleyd server;
  std::string alice, bob;
};

TEST_F(Ucwa, CreatesAnApplicationWithTheFullResourceInLurkerForm) {
  start();
  // PascalCase property names, as the walkthrough clients send them.
  const auto r = http_request("POST", server.external_https + "/ucwa/oauth/v1/applications",
                              server.ca_file(),
                              R"({"UserAgent":"UCWA Samples","EndpointId":"a917c6f4","Culture":"en-US"})",
                              alice, {kJson});
  ASSERT_EQ(r.status, 201) << r.body;
  const auto app = parse_json(r.body).as_object();
  const std::string self = std::string(app.at("_links").at("self").at("href").as_string());
  EXPECT_EQ(self, "/ucwa/oauth/v1/applications/" + std::string(app.at("id").as_string()));
  EXPECT_EQ(str(app.at("userAgent")), "UCWA Samples");
  EXPECT_EQ(str(app.at("endpointId")), "a917c6f4");
  EXPECT_EQ(str(app.at("_links").at("events").at("href")), self + "/events?ack=1");
  for (const char* rel : {"policies", "batch", "reportMyNetwork"}) EXPECT_TRUE(has_link(app, rel)) << rel;
  const auto& me = app.at("_embedded").at("me").as_object();
  EXPECT_EQ(str(me.at("uri")), "sip:alice@example.org");
  EXPECT_EQ(str(me.at("name")), "Alice Example");
  EXPECT_TRUE(has_link(me, "makeMeAvailable"));
  EXPECT_FALSE(has_link(me, "presence"));  // lurker: no presence before makeMeAvailable
  const auto& people = app.at("_embedded").at("people").as_object();
  for (const char* rel : {"search", "myContacts", "presenceSubscriptions", "myGroups", "myGroupMemberships",
                          "subscribedContacts", "myContactsAndGroupsSubscription"})
    EXPECT_TRUE(has_link(people, rel)) << rel;
  const auto& comm = app.at("_embedded").at("communication").as_object();
  EXPECT_TRUE(comm.contains("etag"));
  bool guid = false;
  for (const auto& kv : comm)
    if (kv.value() == "please pass this in a PUT request") guid = true;
  EXPECT_TRUE(guid);
  EXPECT_NE(r.header("Set-Cookie").find("cwt_ucwa="), std::string::npos);
  EXPECT_NE(r.header("Set-Cookie").find(self + "/photos"), std::string::npos);

  // The /ucwa/v1 prefix works too and its links stay on it.
  const auto v1 = http_request("POST", server.external_https + "/ucwa/v1/applications", server.ca_file(),
                               json::serialize(app_body("other", "Browser")), alice, {kJson});
  ASSERT_EQ(v1.status, 201) << v1.body;
  EXPECT_EQ(std::string(parse_json(v1.body).at("_links").at("self").at("href").as_string()).rfind("/ucwa/v1/applications/", 0), 0u);
}

TEST_F(Ucwa, RefusesBadApplicationRequests) {
  start();
  const std::string url = server.external_https + "/ucwa/oauth/v1/applications";
  const auto no_token = http_request("POST", url, server.ca_file(), json::serialize(app_body("e", "")), "", {kJson});
  EXPECT_EQ(no_token.status, 401);
  bool challenge = false;
  for (const auto& [name, value] : no_token.headers)
    if (value.find("MsRtcOAuth") != std::string::npos && value.find("/WebTicket/oauthtoken") != std::string::npos)
      challenge = true;
  EXPECT_TRUE(challenge) << "no MsRtcOAuth challenge naming the web-ticket URL";

  const auto missing = http_request("POST", url, server.ca_file(), R"({"culture":"en-US","endpointId":"x"})", alice, {kJson});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(subcode_of(missing), "ParameterValidationFailure");
  EXPECT_NE(missing.body.find("userAgent"), std::string::npos);

  auto long_body = app_body(std::string(101, 'x'), "Browser");
  const auto too_long = http_request("POST", url, server.ca_file(), json::serialize(long_body), alice, {kJson});
  EXPECT_EQ(too_long.status, 400);

  const auto garbage = http_request("POST", url, server.ca_file(), "{\"culture\":", alice, {kJson});
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(subcode_of(garbage), "DeserializationFailure");

  const auto xml = http_request("POST", url, server.ca_file(), "<x/>", alice, {"Content-Type: application/xml"});
  EXPECT_EQ(xml.status, 415);

  const auto get = http_request("GET", url, server.ca_file(), "", alice);
  EXPECT_EQ(get.status, 405);
  EXPECT_NE(get.header("Allow").find("POST"), std::string::npos);

  UcwaApp app(server, alice);
  EXPECT_EQ(app.get(app.href() + "/no/such/thing").status, 404);
  EXPECT_EQ(subcode_of(app.get(app.href() + "/no/such/thing")), "ResourceNotFound");
  EXPECT_EQ(app.del(app.href() + "/me").status, 405);
  EXPECT_EQ(app.pget_raw("&timeout=10").status, 400);
  // Resource revisions: 2 (and "2.0", as one SDK always sends) are served, 3 is not.
  EXPECT_EQ(app.get(app.href() + "/me", {"X-MS-RequiresMinResourceVersion: 2.0"}).status, 200);
  const auto v3 = app.get(app.href() + "/me", {"X-MS-RequiresMinResourceVersion: 3"});
  EXPECT_EQ(v3.status, 404);
  EXPECT_EQ(subcode_of(v3), "APIVersionNotSupported");
}

TEST_F(Ucwa, InstancesShareAnApplicationWithOwnEventChannels) {
  start();
  UcwaApp tab1(server, alice, app_body("laptop", "Browser", "tab-1"));
  UcwaApp tab2(server, alice, app_body("laptop", "Browser", "tab-2"));
  EXPECT_EQ(tab1.create_status(), 201);
  EXPECT_EQ(tab2.create_status(), 201);
  EXPECT_EQ(tab1.id(), tab2.id());
  EXPECT_NE(tab2.events_path.find("instanceId=tab-2"), std::string::npos);
  UcwaApp again(server, alice, app_body("laptop", "Browser", "tab-1"));
  EXPECT_EQ(again.create_status(), 200);

  // Both instances receive the application's events.
  tab1.make_me_available();
  auto p1 = tab1.pget();
  auto p2 = tab2.pget();
  EXPECT_FALSE(UcwaApp::events_of(p1).empty());
  EXPECT_EQ(UcwaApp::events_of(p1).size(), UcwaApp::events_of(p2).size());

  // Deleting one instance leaves the other working.
  EXPECT_EQ(tab1.del(tab1.href() + "?instanceId=tab-1").status, 204);
  EXPECT_EQ(tab1.pget_raw().status, 404);
  EXPECT_EQ(tab2.get(tab2.href()).status, 200);
  EXPECT_EQ(tab2.del(tab2.href()).status, 204);
  EXPECT_EQ(tab2.get(tab2.href()).status, 404);
  EXPECT_EQ(subcode_of(tab2.get(tab2.href())), "ApplicationNotFound");
}

TEST_F(Ucwa, OneUsersTokenNeverReachesAnothersApplication) {
  start();
  UcwaApp mine(server, alice);
  mine.make_me_available();
  UcwaApp theirs(server, bob);
  for (const std::string suffix : {"", "/me", "/me/presence", "/policies", "/events?ack=1", "/people/contacts"}) {
    const auto r = http_request("GET", server.external_https + mine.href() + suffix, server.ca_file(), "", bob);
    EXPECT_EQ(r.status, 404) << suffix;
    EXPECT_EQ(subcode_of(r), "ApplicationNotFound") << suffix;
  }
  EXPECT_EQ(http_request("POST", server.external_https + mine.href() + "/me/presence", server.ca_file(),
                         R"({"availability":"Away"})", bob, {kJson}).status, 404);
  EXPECT_EQ(http_request("DELETE", server.external_https + mine.href(), server.ca_file(), "", bob).status, 404);
  EXPECT_EQ(availability_of(mine.get(mine.href() + "/me/presence")), "Online");
  EXPECT_EQ(mine.get(mine.href()).status, 200);
}

TEST_F(Ucwa, MakeMeAvailableRaisesTheDocumentedEventsAndUnlocksPresence) {
  start();
  UcwaApp app(server, alice);
  EXPECT_EQ(app.get(app.href() + "/me/presence").status, 409);
  EXPECT_EQ(subcode_of(app.get(app.href() + "/me/presence")), "MakeMeAvailableRequired");
  EXPECT_EQ(subcode_of(app.post(app.href() + "/me/reportMyActivity")), "MakeMeAvailableRequired");
  // An empty body (no Content-Type at all) is accepted.
  const auto r = http_request("POST", server.external_https + app.href() + "/me/makeMeAvailable",
                              server.ca_file(), "", alice);
  ASSERT_EQ(r.status, 204) << r.body;
  const auto events = UcwaApp::events_of(app.pget());
  std::vector<std::string> seen;
  for (const auto& e : events) seen.push_back(std::string(e.at("rel").as_string()) + " " + std::string(e.at("type").as_string()));
  for (const char* want : {"me updated", "presence added", "note added", "location added", "communication updated"})
    EXPECT_NE(std::find(seen.begin(), seen.end(), want), seen.end()) << want;
  const auto me = parse_json(app.get(app.href() + "/me").body).as_object();
  EXPECT_TRUE(has_link(me, "presence"));
  EXPECT_TRUE(has_link(me, "reportMyActivity"));
  EXPECT_FALSE(has_link(me, "makeMeAvailable"));
  EXPECT_EQ(availability_of(app.get(app.href() + "/me/presence")), "Online");
  EXPECT_EQ(app.post(app.href() + "/me/reportMyActivity").status, 204);

  // Note and location, with their limits.
  EXPECT_EQ(app.post(app.href() + "/me/note", R"({"message":"At the dentist"})").status, 204);
  EXPECT_EQ(str(parse_json(app.get(app.href() + "/me/note").body).at("message")), "At the dentist");
  EXPECT_EQ(app.post(app.href() + "/me/location", json::serialize(json::object{{"location", std::string(61, 'x')}})).status, 400);
  EXPECT_EQ(app.post(app.href() + "/me/location", R"({"location":"Building 7"})").status, 204);
  EXPECT_EQ(app.post(app.href() + "/me/presence", R"({"availability":"Idle"})").status, 400);
  EXPECT_EQ(app.post(app.href() + "/me/makeMeAvailable", R"({"SupportedModalities":["Teleport"]})").status, 400);
}

TEST_F(Ucwa, PresenceIsAggregatedAcrossEndpoints) {
  start();
  UcwaApp phone(server, alice, app_body("phone", "Phone"));
  UcwaApp laptop(server, alice, app_body("laptop", "Desktop"));
  phone.make_me_available(R"({"SupportedModalities":["Messaging"]})");
  laptop.make_me_available(R"({"signInAs":"Busy"})");
  EXPECT_EQ(availability_of(phone.get(phone.href() + "/me/presence")), "Busy");
  // Manual state beats machine state, from any endpoint.
  EXPECT_EQ(phone.post(phone.href() + "/me/presence", R"({"availability":"DoNotDisturb"})").status, 204);
  EXPECT_EQ(availability_of(laptop.get(laptop.href() + "/me/presence")), "DoNotDisturb");
  // An empty POST resets to machine state.
  EXPECT_EQ(laptop.post(laptop.href() + "/me/presence", "{}").status, 204);
  EXPECT_EQ(availability_of(phone.get(phone.href() + "/me/presence")), "Online");
  // Signing out one endpoint keeps the user online on the other; both out: Offline.
  EXPECT_EQ(laptop.del(laptop.href()).status, 204);
  EXPECT_EQ(availability_of(phone.get(phone.href() + "/me/presence")), "Online");
}

TEST_F(Ucwa, IdleEndpointsFallToInactiveThenAway) {
  // time_scale 100: 60 s inactive = 0.6 s, 60 s more to Away.
  start("[ucwa]\ntime_scale = 100\n[presence]\ninactive_after_seconds = 60\naway_after_inactive_seconds = 60\n");
  UcwaApp app(server, alice);
  app.make_me_available();
  EXPECT_EQ(availability_of(app.get(app.href() + "/me/presence")), "Online");
  std::this_thread::sleep_for(900ms);
  EXPECT_EQ(availability_of(app.get(app.href() + "/me/presence")), "IdleOnline");
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(availability_of(app.get(app.href() + "/me/presence")), "Away");
  EXPECT_EQ(app.post(app.href() + "/me/reportMyActivity").status, 204);
  EXPECT_EQ(availability_of(app.get(app.href() + "/me/presence")), "Online");
  EXPECT_EQ(app.post(app.href() + "/me/presence", R"({"availability":"Busy"})").status, 204);
  std::this_thread::sleep_for(900ms);
  EXPECT_EQ(availability_of(app.get(app.href() + "/me/presence")), "IdleBusy");
}

TEST_F(Ucwa, ApplicationsExpireByDeviceClass) {
  // Short interval 120 s = 1.2 s at time_scale 100; the long one stays far away. A phone keeps
  // the long one only while push can wake it: it registers a Web Push subscription (aimed at a
  // closed loopback port: nothing here is ever pushed).
  start("[ucwa]\ntime_scale = 100\nexpiry_check_seconds = 1\nidle_timeout_without_event_channel = 60\n"
        "resume_after_seconds = 86400\n"
        "[mobility]\nsession_short_expiration_interval = 120\nsession_expiration_interval = 100000\n"
        "[push.webpush]\nallow_private_endpoints = true\n");
  const auto enabled = run_command({parley_binary(), "--data-dir", server.data_dir().string(), "config", "set",
                                    "push", "--enable-web-push", "true"});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.out << enabled.err;
  UcwaApp desktop(server, alice, app_body("desk", "Desktop"));
  UcwaApp phone(server, alice, app_body("phone", "Phone"));
  UcwaApp unregistered(server, alice, app_body("phone-without-push", "Phone"));
  UcwaApp silent(server, alice, app_body("silent", "Desktop"));  // never opens its event channel
  const auto registered = phone.post(phone.href() + "/pushNotificationRegistration", kWebPushRegistration);
  ASSERT_EQ(registered.status, 201) << registered.body;
  // Each opens its channel once (the timeout answers after 1.8 s).
  auto d = std::async(std::launch::async, [&] { return desktop.pget_raw(); });
  auto p = std::async(std::launch::async, [&] { return phone.pget_raw(); });
  auto u = std::async(std::launch::async, [&] { return unregistered.pget_raw(); });
  EXPECT_EQ(d.get().status, 200);
  EXPECT_EQ(p.get().status, 200);
  EXPECT_EQ(u.get().status, 200);
  std::this_thread::sleep_for(2800ms);
  const auto gone = desktop.get(desktop.href());
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(subcode_of(gone), "ApplicationNotFound");
  EXPECT_EQ(subcode_of(silent.get(silent.href())), "ApplicationNotFound");
  EXPECT_EQ(subcode_of(unregistered.get(unregistered.href())), "ApplicationNotFound");
  EXPECT_EQ(phone.get(phone.href()).status, 200);
}

TEST_F(Ucwa, EventChannelAcksResendsAndResyncs) {
  start();
  UcwaApp app(server, alice);
  app.make_me_available();
  const std::string first = app.events_path;
  const auto a = app.get(first);
  ASSERT_EQ(a.status, 200);
  // Asking for the same ack again resends the same package.
  const auto again = app.get(first);
  EXPECT_EQ(again.body, a.body);
  const auto pkg = parse_json(a.body).as_object();
  const std::string next = std::string(pkg.at("_links").at("next").at("href").as_string());
  EXPECT_NE(next.find("ack=2"), std::string::npos);
  // An ack far ahead answers resync pointing at the first unacknowledged package.
  const auto far = app.get(app.href() + "/events?ack=99");
  ASSERT_EQ(far.status, 200);
  const auto resync = parse_json(far.body).as_object();
  ASSERT_TRUE(resync.at("_links").as_object().contains("resync")) << far.body;
}

TEST_F(Ucwa, ANewerPendingGetReplacesTheOlder) {
  start();
  UcwaApp app(server, alice);
  const std::string path = app.events_path;
  auto older = std::async(std::launch::async, [&] { return app.get(path); });
  std::this_thread::sleep_for(300ms);
  auto newer = std::async(std::launch::async, [&] { return app.get(path); });
  const auto o = older.get();
  EXPECT_EQ(o.status, 409);
  EXPECT_EQ(subcode_of(o), "PGetReplaced");
  // An event releases the newer one at once.
  app.make_me_available();
  const auto n = newer.get();
  EXPECT_EQ(n.status, 200);
  EXPECT_FALSE(UcwaApp::events_of(parse_json(n.body).as_object()).empty());
}

TEST_F(Ucwa, EmptyPackageAtTimeoutAndResumeAfterAGap) {
  start("[ucwa]\ntime_scale = 100\nresume_after_seconds = 60\nexpiry_check_seconds = 1\n");
  UcwaApp app(server, alice);
  const auto started = std::chrono::steady_clock::now();
  auto empty = app.pget();  // 180 s default = 1.8 s here
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1500ms);
  EXPECT_TRUE(UcwaApp::events_of(empty).empty());
  EXPECT_TRUE(empty.at("_links").as_object().contains("next"));
  std::this_thread::sleep_for(1000ms);  // longer than 60 s / 100
  auto resumed = app.pget();
  EXPECT_TRUE(resumed.at("_links").as_object().contains("resume")) << json::serialize(resumed);
  EXPECT_TRUE(resumed.at("_links").as_object().contains("next"));
}

TEST_F(Ucwa, CommunicationFollowsThePutRules) {
  start();
  UcwaApp app(server, alice);
  const auto got = app.get(app.href() + "/communication");
  ASSERT_EQ(got.status, 200);
  auto comm = parse_json(got.body).as_object();
  const std::string etag = "\"" + std::string(comm.at("etag").as_string()) + "\"";
  comm["supportedMessageFormats"] = json::array{"Plain", "Html"};
  const std::string body = json::serialize(comm);
  EXPECT_EQ(app.put(app.href() + "/communication", body).status, 428);
  EXPECT_EQ(app.put(app.href() + "/communication", body, {"If-Match: \"0\""}).status, 412);
  EXPECT_EQ(app.put(app.href() + "/communication", R"({"supportedMessageFormats":["Plain"]})",
                    {"If-Match: " + etag}).status, 400);
  EXPECT_EQ(app.put(app.href() + "/communication", body, {"If-Match: " + etag}).status, 204);
  const auto after = parse_json(app.get(app.href() + "/communication").body);
  EXPECT_EQ(after.at("supportedMessageFormats").as_array().size(), 2u);
}

TEST_F(Ucwa, PoliciesReflectTheMobilityPolicy) {
  start();
  UcwaApp app(server, alice);
  const auto r = app.get(app.href() + "/policies");
  ASSERT_EQ(r.status, 200);
  const auto p = parse_json(r.body).as_object();
  EXPECT_EQ(str(p.at("rel")), "policies");
  EXPECT_EQ(str(p.at("audioOnlyOnWifi")), "Disabled");
  EXPECT_EQ(str(p.at("videoOnlyOnWifi")), "Disabled");
  EXPECT_EQ(str(p.at("saveMessagingHistory")), "Enabled");
  EXPECT_EQ(str(p.at("saveCredentials")), "Enabled");
}

TEST_F(Ucwa, PhotosComeFromTheDirectoryWithBearerOrCookie) {
  start();
  UcwaApp app(server, alice);
  const std::string png("\x89PNG\r\n\x1A\n\0\0\0\rIHDR-not-really-a-picture", 29);
  const std::string admin = server.internal_https + "/admin/v1/users/bob@example.org/photo";
  // The admin API refuses bytes that are not what the Content-Type says.
  EXPECT_EQ(http_request("PUT", admin, server.ca_file(), "GIF89a", server.admin_credential(),
                         {"Content-Type: image/png"}).status, 400);
  ASSERT_EQ(http_request("PUT", admin, server.ca_file(), png, server.admin_credential(),
                         {"Content-Type: image/png"}).status, 204);
  // The external site has no admin surface.
  EXPECT_EQ(http_request("PUT", server.external_https + "/admin/v1/users/bob@example.org/photo",
                         server.ca_file(), png, server.admin_credential(), {"Content-Type: image/png"}).status, 404);

  const auto bearer = app.get(app.href() + "/photos/bob@example.org");
  ASSERT_EQ(bearer.status, 200);
  EXPECT_EQ(bearer.body, png);
  EXPECT_EQ(bearer.header("Content-Type"), "image/png");
  EXPECT_EQ(app.get(app.href() + "/photos/alice@example.org").status, 404);

  // An <img> has only the cookie set at creation; it works on the photos path and nowhere else.
  const std::string cookie = app.create_cookie.substr(0, app.create_cookie.find(';'));
  const auto by_cookie = http_request("GET", server.external_https + app.href() + "/photos/sip:bob@example.org",
                                      server.ca_file(), "", "", {"Cookie: " + cookie});
  EXPECT_EQ(by_cookie.status, 200);
  EXPECT_EQ(by_cookie.body, png);
  EXPECT_EQ(http_request("GET", server.external_https + app.href() + "/me", server.ca_file(), "", "",
                         {"Cookie: " + cookie}).status, 401);
  EXPECT_EQ(http_request("GET", server.external_https + app.href() + "/photos/bob@example.org",
                         server.ca_file(), "").status, 401);
}

TEST_F(Ucwa, DisablingAUserSignsHerApplicationsOut) {
  start();
  UcwaApp app(server, bob);
  app.make_me_available();
  UcwaApp watcher(server, alice);
  auto waiting = std::async(std::launch::async, [&] {
    app.pget();  // the makeMeAvailable events
    return app.pget_raw();
  });
  std::this_thread::sleep_for(300ms);
  const auto r = run_command({parley_binary(), "--data-dir", server.data_dir().string(), "user", "disable",
                              "bob@example.org"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The waiting event channel learns at once that the application is gone.
  const auto answer = waiting.get();
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(subcode_of(answer), "ApplicationNotFound");
  EXPECT_EQ(app.get(app.href()).status, 401);  // and the token is dead too
}

TEST_F(Ucwa, APendingGetIsAnsweredAtShutdown) {
  start();
  UcwaApp app(server, alice);
  auto waiting = std::async(std::launch::async, [&] { return app.pget_raw(); });
  std::this_thread::sleep_for(300ms);
  // Operators see the session and its held event channel.
  const auto metrics = http_request("GET", server.internal_https + "/metrics", server.ca_file());
  EXPECT_NE(metrics.body.find("parley_ucwa_applications 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("parley_ucwa_parked_event_channels 1\n"), std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(waiting.get().status, 200);
}

}  // namespace
}  // namespace parley::e2e
