// Push notifications end to end (issue 10): the real parleyd sends through APNs, FCM and Web Push
// to a local mock of the three providers (tests/push/push_mock.mjs) that checks each protocol the
// way the real services do: the APNs provider token against the .p8 key's public half, the FCM
// OAuth assertion against the service account's key, the VAPID signature, and it decrypts the
// Web Push payload with the browser's private key. Every key is generated here at run time.
//
// Bob's phones register through `{app}/pushNotificationRegistration` as the apps would, go to the
// background (no pending GET), and Alice writes, calls and misses him.
#include "push_fixture.hpp"

namespace parley::e2e {
namespace {

using namespace push_fixture;

// ---- background: a chat and a call wake every device; foreground: nothing -----------------

TEST_F(Push, BackgroundDevicesAreWokenForAChatAndACall) {
  start("[calls]\nring_timeout_seconds = 300\n");
  // parleyd itself carries the guard against libcurl's resets of finished streams.
  EXPECT_EQ(server.output().find("not intercepted"), std::string::npos) << server.output();
  // The VAPID key it generated is its owner's alone.
  const auto vapid = std::filesystem::status(server.data_dir() / "push" / "vapid.pem").permissions();
  EXPECT_EQ(vapid & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  auto voip = background_device("bob-iphone-voip", apns_body(voip_token, true));
  auto pixel = background_device("bob-pixel", fcm_body(fcm_token));
  auto browser = background_device("bob-browser", webpush_body("sub1"), "Browser");
  auto a = ready_alice();

  invite(*a);
  const auto im_apns = wait_for(kind(to("apns", apns_token), "invitation"));
  const auto im_fcm = wait_for(kind(to("fcm"), "invitation"));
  const auto im_wp = wait_for(kind(to("webpush", "/wp/sub1"), "invitation"));
  ASSERT_EQ(im_apns.size(), 1u) << json::serialize(received());
  ASSERT_EQ(im_fcm.size(), 1u) << json::serialize(received());
  ASSERT_EQ(im_wp.size(), 1u) << json::serialize(received());
  for (const auto* r : {&im_apns[0], &im_fcm[0]}) EXPECT_EQ(r->at("status").to_number<int>(), 200) << json::serialize(*r);
  EXPECT_EQ(im_wp[0].at("status").to_number<int>(), 201) << json::serialize(im_wp[0]);
  EXPECT_EQ(header(im_apns[0], "apns-push-type"), "alert");
  EXPECT_EQ(header(im_apns[0], "apns-topic"), kTopic);
  const auto im = data_of(im_wp[0]);  // what the browser decrypts
  EXPECT_EQ(str(im.at("kind")), "invitation");
  EXPECT_EQ(str(im.at("title")), "New conversation");
  EXPECT_NE(str(im.at("body")).find("Alice Example"), std::string::npos) << json::serialize(im);
  EXPECT_FALSE(str(im.at("conversation")).empty());
  EXPECT_EQ(str(im.at("from")), "sip:alice@example.org");
  EXPECT_EQ(str(data_of(im_apns[0]).at("conversation")), str(im.at("conversation")));
  // No message text anywhere by default.
  for (const auto& r : received()) EXPECT_FALSE(mentions(r.as_object(), kSecret)) << json::serialize(r);
  // A PushKit token takes calls only: Apple refuses anything else for it.
  EXPECT_TRUE(requests(to("apns", voip_token)).empty()) << json::serialize(received());

  ASSERT_EQ(call(*a).status, 201);
  const auto ring_apns = wait_for(kind(to("apns", apns_token), "call"));
  const auto ring_voip = wait_for(kind(to("apns", voip_token), "call"));
  const auto ring_fcm = wait_for(kind(to("fcm"), "call"));
  const auto ring_wp = wait_for(kind(to("webpush", "/wp/sub1"), "call"));
  ASSERT_EQ(ring_apns.size(), 1u) << json::serialize(received());
  ASSERT_EQ(ring_voip.size(), 1u) << json::serialize(received());
  ASSERT_EQ(ring_fcm.size(), 1u) << json::serialize(received());
  ASSERT_EQ(ring_wp.size(), 1u) << json::serialize(received());
  EXPECT_EQ(ring_apns[0].at("status").to_number<int>(), 200) << json::serialize(ring_apns[0]);
  EXPECT_EQ(ring_voip[0].at("status").to_number<int>(), 200) << json::serialize(ring_voip[0]);
  const std::string conversation = str(data_of(ring_wp[0]).at("conversation"));
  EXPECT_FALSE(conversation.empty());
  // Calls are urgent: priority 10, a VoIP push for the PushKit token, FCM high priority.
  EXPECT_EQ(header(ring_apns[0], "apns-push-type"), "alert");
  EXPECT_EQ(header(ring_apns[0], "apns-priority"), "10");
  EXPECT_EQ(header(ring_apns[0], "apns-topic"), kTopic);
  EXPECT_EQ(header(ring_apns[0], "apns-collapse-id"), conversation);
  EXPECT_EQ(header(ring_voip[0], "apns-push-type"), "voip");
  EXPECT_EQ(header(ring_voip[0], "apns-priority"), "10");
  EXPECT_EQ(header(ring_voip[0], "apns-topic"), std::string(kTopic) + ".voip");
  const auto fcm_doc = json::parse(ring_fcm[0].at("body").as_string());
  EXPECT_EQ(str(fcm_doc.at("message").at("android").at("priority")), "HIGH");
  EXPECT_EQ(str(fcm_doc.at("message").at("token")), fcm_token);
  EXPECT_EQ(header(ring_wp[0], "urgency"), "high");
  const auto ring = data_of(ring_wp[0]);
  EXPECT_EQ(str(ring.at("title")), "Incoming video call");  // the offer has video
  EXPECT_NE(str(ring.at("body")).find("Alice Example"), std::string::npos);
  EXPECT_EQ(str(ring.at("from")), "sip:alice@example.org");
}

TEST_F(Push, AMissedCallReplacesTheIncomingCallNotification) {
  start("[calls]\nring_timeout_seconds = 5\n");  // the shortest ring the configuration allows
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  auto pixel = background_device("bob-pixel", fcm_body(fcm_token));
  auto browser = background_device("bob-browser", webpush_body("sub1"), "Browser");
  auto a = ready_alice();
  ASSERT_EQ(call(*a).status, 201);
  const auto ring = wait_for(kind(to("apns", apns_token), "call"));
  ASSERT_EQ(ring.size(), 1u) << json::serialize(received());
  // Rings out after 5 s: the ringing devices' audioVideoInvitation completes with MissedCall.
  const auto missed = wait_for(kind(to("apns", apns_token), "missedCall"), 1, 12000ms);
  const auto missed_fcm = wait_for(kind(to("fcm"), "missedCall"), 1, 2000ms);
  const auto missed_wp = wait_for(kind(to("webpush", "/wp/sub1"), "missedCall"), 1, 2000ms);
  ASSERT_EQ(missed.size(), 1u) << "no missed-call push (does the ringing endpoints' completed event carry "
                                  "reason subcode MissedCall?): "
                               << json::serialize(received());
  EXPECT_EQ(header(missed[0], "apns-collapse-id"), header(ring[0], "apns-collapse-id"));
  EXPECT_FALSE(header(missed[0], "apns-collapse-id").empty());
  EXPECT_EQ(header(missed[0], "apns-push-type"), "alert");
  ASSERT_EQ(missed_fcm.size(), 1u);
  ASSERT_EQ(missed_wp.size(), 1u);
  const auto wp = data_of(missed_wp[0]);
  EXPECT_EQ(str(wp.at("title")), "Missed call");
  EXPECT_NE(str(wp.at("body")).find("Alice Example"), std::string::npos);
  EXPECT_EQ(str(wp.at("tag")), header(ring[0], "apns-collapse-id"));
}

TEST_F(Push, NoPushWhileTheAppHasAPendingGet) {
  start();
  UcwaApp phone(server, bob, app_body("bob-iphone", "Phone"));
  ASSERT_EQ(phone.post(phone.href() + "/pushNotificationRegistration", apns_body(apns_token)).status, 201);
  phone.make_me_available(kCallable);
  phone.pget();
  auto a = ready_alice();
  auto waiting = std::async(std::launch::async, [&] { return phone.pget(); });
  std::this_thread::sleep_for(300ms);
  invite(*a, "first");
  const auto package = waiting.get();
  bool rang = false;
  for (const auto& e : UcwaApp::events_of(package)) rang = rang || str(e.at("rel")) == "messagingInvitation";
  EXPECT_TRUE(rang) << json::serialize(package);
  // As a client in the foreground does, it comes straight back for more.
  auto next = std::async(std::launch::async, [&] { return phone.pget_raw("&timeout=180"); });
  std::this_thread::sleep_for(1500ms);  // well past the 300 ms grace
  EXPECT_TRUE(requests(to("apns")).empty()) << json::serialize(received());
  // Now the phone is suspended with that P-GET still open, as a phone going to the background
  // leaves it: the next chat is written to it, nobody comes back for more, and the device is woken.
  invite(*a, "second");
  EXPECT_EQ(next.get().status, 200);
  EXPECT_EQ(wait_for(kind(to("apns", apns_token), "invitation")).size(), 1u) << json::serialize(received());
}

// A phone's app suspended mid-poll often has its connection closed under it (iOS reclaims the
// sockets of a suspended app). The server notices the close: the held P-GET ends there and then,
// so once the app has been quiet for the grace period the next chat wakes the device at once.
// (Had the server kept the dead P-GET parked, the chat would have gone into it and the push would
// have waited out the grace period first, in case the app came back for it.)
TEST_F(Push, APollWhoseConnectionClosedEndsAtOnce) {
  start("", /*grace_ms=*/2000);
  UcwaApp phone(server, bob, app_body("bob-iphone", "Phone"));
  ASSERT_EQ(phone.post(phone.href() + "/pushNotificationRegistration", apns_body(apns_token)).status, 201);
  phone.make_me_available(kCallable);
  phone.pget();
  auto a = ready_alice();
  // The P-GET is given up by the client after 800 ms: curl closes the connection.
  const std::string url = server.external_https + phone.events_path + "&timeout=180";
  bool abandoned = false;
  try {
    http_request("GET", url, server.ca_file(), "", phone.token(), {}, 800ms);
  } catch (const std::runtime_error&) {
    abandoned = true;  // timed out, as intended
  }
  ASSERT_TRUE(abandoned) << "the P-GET was answered; it should have been held";
  std::this_thread::sleep_for(2500ms);  // quiet for longer than the grace period
  const auto invited = std::chrono::steady_clock::now();
  invite(*a);
  const auto woken = wait_for(kind(to("apns", apns_token), "invitation"), 1, 5000ms);
  const auto delay = std::chrono::steady_clock::now() - invited;
  ASSERT_EQ(woken.size(), 1u) << json::serialize(received());
  EXPECT_LT(delay, 1500ms) << "the push waited as if the closed P-GET were still listening";
  // The connection ended quietly, and the server stops at once: no session was left behind.
  EXPECT_EQ(server.output().find("unexpected error"), std::string::npos) << server.output();
  const auto stop_started = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 5s);
}

// ---- what providers answer ------------------------------------------------------------------

TEST_F(Push, ARegistrationTheProviderRejectsIsDeleted) {
  start();
  auto iphone = background_device("bob-iphone", apns_body(dead_apns_token));
  auto pixel = background_device("bob-pixel", fcm_body(dead_fcm_token));
  auto browser = background_device("bob-browser", webpush_body("gone"), "Browser");
  auto fine = background_device("bob-ipad", apns_body(apns_token), "Tablet");
  ASSERT_EQ(push_status("bob@example.org").size(), 4u);
  // The healthy iPad's token is answered 410 once by script, too.
  script(apns_token, json::array{json::object{{"status", 410}, {"reason", "Unregistered"}}});
  auto a = ready_alice();
  invite(*a);
  const auto gone_apns = wait_for(to("apns", dead_apns_token));
  const auto gone_fcm = wait_for(to("fcm"));
  const auto gone_wp = wait_for(to("webpush", "/wp/gone"));
  const auto gone_ipad = wait_for(to("apns", apns_token));
  ASSERT_FALSE(gone_apns.empty());
  ASSERT_FALSE(gone_fcm.empty());
  ASSERT_FALSE(gone_wp.empty());
  ASSERT_FALSE(gone_ipad.empty());
  EXPECT_EQ(gone_apns[0].at("status").to_number<int>(), 410);
  EXPECT_EQ(gone_fcm[0].at("status").to_number<int>(), 404);
  EXPECT_EQ(gone_wp[0].at("status").to_number<int>(), 410);
  EXPECT_EQ(gone_ipad[0].at("status").to_number<int>(), 410);
  json::array left;
  for (int i = 0; i < 50; ++i) {
    left = push_status("bob@example.org");
    if (left.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(left.empty()) << json::serialize(left);
  for (auto* app : {iphone.get(), pixel.get(), browser.get(), fine.get()}) {
    const auto r = app->get(app->href() + "/pushNotificationRegistration");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(parse_json(r.body).at("registered").as_bool()) << r.body;
  }
  const auto table = parley({"push", "status", "bob@example.org"});
  EXPECT_NE(table.out.find("no device registered"), std::string::npos) << table.out;
  // Each was tried once: a dead token is not retried.
  EXPECT_EQ(requests(to("apns", dead_apns_token)).size(), 1u);
}

// A body lost on the way (APNs says PayloadEmpty, which Parley never sends) is tried again; any
// other 400 is final.
TEST_F(Push, ALostPayloadIsSentAgainButOtherRefusalsAreFinal) {
  start();
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  script(apns_token, json::array{json::object{{"status", 400}, {"reason", "PayloadEmpty"}},
                                 json::object{{"status", 200}},
                                 json::object{{"status", 400}, {"reason", "BadExpirationDate"}}});
  auto a = ready_alice();
  invite(*a, "first");
  const auto tries = wait_for(to("apns", apns_token), 2, 10000ms);
  ASSERT_EQ(tries.size(), 2u) << json::serialize(received());
  EXPECT_EQ(tries[0].at("status").to_number<int>(), 400);
  EXPECT_EQ(tries[1].at("status").to_number<int>(), 200);
  iphone->pget();  // the app came back and read it; then goes to the background again
  invite(*a, "second");
  const auto all = wait_for(to("apns", apns_token), 3, 10000ms);
  ASSERT_EQ(all.size(), 3u) << json::serialize(received());
  EXPECT_EQ(all[2].at("status").to_number<int>(), 400);
  std::this_thread::sleep_for(1500ms);  // past the first back-off
  EXPECT_EQ(requests(to("apns", apns_token)).size(), 3u) << json::serialize(received());
}

TEST_F(Push, ThrottledAndUnavailableAnswersAreRetriedUntilDelivered) {
  start();
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  script(apns_token, json::array{json::object{{"status", 429}, {"reason", "TooManyRequests"}},
                                 json::object{{"status", 503}, {"reason", "ServiceUnavailable"}},
                                 json::object{{"status", 200}}});
  auto a = ready_alice();
  invite(*a);
  const auto tries = wait_for(to("apns", apns_token), 3, 10000ms);
  ASSERT_EQ(tries.size(), 3u) << json::serialize(received());
  EXPECT_EQ(tries[0].at("status").to_number<int>(), 429);
  EXPECT_EQ(tries[1].at("status").to_number<int>(), 503);
  EXPECT_EQ(tries[2].at("status").to_number<int>(), 200);
  // Exponential back-off: about 1 s, then about 2 s.
  const auto at = [&](int i) { return tries[static_cast<std::size_t>(i)].at("at").to_number<std::int64_t>(); };
  EXPECT_GE(at(1) - at(0), 900);
  EXPECT_GE(at(2) - at(1), 1800);
  json::object device;
  for (int i = 0; i < 50; ++i) {
    const auto s = push_status("bob@example.org");
    ASSERT_EQ(s.size(), 1u);
    device = s[0].as_object();
    if (device.contains("lastSuccess")) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(device.contains("lastSuccess")) << json::serialize(device);
  EXPECT_EQ(device.at("lastStatus").to_number<int>(), 200) << json::serialize(device);
  EXPECT_EQ(str(device.at("lastSuccess")), str(device.at("lastAttempt")));
  std::this_thread::sleep_for(1000ms);
  EXPECT_EQ(requests(to("apns", apns_token)).size(), 3u);  // delivered: no more attempts
}

TEST_F(Push, ANotificationNobodyTakesIsDroppedAtItsTtl) {
  start("", 300, 2);  // ttl_seconds = 2
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  json::array unavailable;
  for (int i = 0; i < 10; ++i) unavailable.push_back(json::object{{"status", 503}, {"reason", "ServiceUnavailable"}});
  script(apns_token, unavailable);
  auto a = ready_alice();
  invite(*a);
  json::object device;
  for (int i = 0; i < 80; ++i) {
    const auto s = push_status("bob@example.org");
    ASSERT_EQ(s.size(), 1u);
    device = s[0].as_object();
    if (device.contains("lastError") && str(device.at("lastError")).find("TTL") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(device.contains("lastError")) << json::serialize(device);
  EXPECT_NE(str(device.at("lastError")).find("TTL"), std::string::npos) << json::serialize(device);
  EXPECT_FALSE(device.contains("lastSuccess"));
  EXPECT_EQ(device.at("lastStatus").to_number<int>(), 503);
  const auto tries = requests(to("apns", apns_token)).size();
  EXPECT_GE(tries, 2u);
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(requests(to("apns", apns_token)).size(), tries);  // dropped: no more attempts
  const auto table = parley({"push", "status", "bob@example.org"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("TTL of 2 s reached"), std::string::npos) << table.out;
}

// ---- what administrators decide ----------------------------------------------------------------

TEST_F(Push, MessageTextIsSentOnlyWhenPreviewsAreAllowed) {
  start();
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  auto browser = background_device("bob-browser", webpush_body("sub1"), "Browser");
  auto a = ready_alice();
  invite(*a);
  ASSERT_EQ(wait_for(kind(to("webpush"), "invitation")).size(), 1u);
  ASSERT_EQ(wait_for(kind(to("apns"), "invitation")).size(), 1u);
  for (const auto& r : received()) EXPECT_FALSE(mentions(r.as_object(), kSecret)) << json::serialize(r);

  ok({"config", "set", "push", "--enable-message-previews", "true"});
  reset_mock();
  invite(*a);
  const auto wp = wait_for(kind(to("webpush"), "invitation"));
  const auto apns = wait_for(kind(to("apns"), "invitation"));
  ASSERT_EQ(wp.size(), 1u);
  ASSERT_EQ(apns.size(), 1u);
  EXPECT_EQ(str(data_of(wp[0]).at("body")), kSecret);
  EXPECT_EQ(str(data_of(wp[0]).at("title")), "Alice Example");
  const auto alert = json::parse(apns[0].at("body").as_string()).at("aps").at("alert");
  EXPECT_EQ(str(alert.at("body")), kSecret);
}

TEST_F(Push, APolicyWithoutPushSilencesDevicesAndRefusesRegistration) {
  start();
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  ok({"policy", "new", "mobility", "no-push", "--enable-push-notifications", "false"});
  ok({"policy", "grant", "mobility", "no-push", "--user", "bob@example.org"});
  auto a = ready_alice();
  invite(*a);
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(requests(to("apns")).empty()) << json::serialize(received());
  UcwaApp pixel(server, bob, app_body("bob-pixel", "Phone"));
  const auto refused = pixel.post(pixel.href() + "/pushNotificationRegistration", fcm_body(fcm_token));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(subcode_of(refused), "PushNotificationsDisabled");
  const auto got = parse_json(pixel.get(pixel.href() + "/pushNotificationRegistration").body);
  EXPECT_TRUE(got.at("providers").as_array().empty()) << json::serialize(got);
}

TEST_F(Push, TestPushReportsEveryDevice) {
  start();
  auto iphone = background_device("bob-iphone", apns_body(apns_token));
  auto pixel = background_device("bob-pixel", fcm_body(fcm_token));
  auto browser = background_device("bob-browser", webpush_body("sub1"), "Browser");
  const auto r = parley({"test-push", "bob@example.org"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::cout << "parley test-push bob@example.org:\n" << r.out;
  std::size_t lines = 0, delivered = 0;
  for (std::size_t at = 0; (at = r.out.find("delivered", at)) != std::string::npos; ++at) ++delivered;
  for (char c : r.out) lines += c == '\n';
  EXPECT_EQ(delivered, 3u) << r.out;
  EXPECT_EQ(lines, 4u) << r.out;  // the header and one row per device
  for (const char* p : {"apns", "fcm", "webpush", " ms", "200", "201"})
    EXPECT_NE(r.out.find(p), std::string::npos) << p << " missing in\n" << r.out;
  EXPECT_EQ(requests(kind(to("apns", apns_token), "test")).size(), 1u);
  EXPECT_EQ(requests(kind(to("webpush", "/wp/sub1"), "test")).size(), 1u);

  const auto devices = push_status("bob@example.org");
  ASSERT_EQ(devices.size(), 3u);
  std::string fcm_id;
  for (const auto& d : devices) {
    EXPECT_TRUE(d.as_object().contains("lastSuccess")) << json::serialize(d);
    if (str(d.at("provider")) == "fcm") fcm_id = str(d.at("id"));
  }
  const auto one = parley({"test-push", "bob@example.org", "--device", fcm_id});
  ASSERT_EQ(one.exit_code, 0) << one.out << one.err;
  EXPECT_NE(one.out.find("fcm"), std::string::npos);
  EXPECT_EQ(one.out.find("apns"), std::string::npos) << one.out;
  // A provider that refuses makes the test fail, with its reason.
  script(apns_token, json::array{json::object{{"status", 400}, {"reason", "BadTopic"}}});
  const auto bad = parley({"test-push", "bob@example.org"});
  EXPECT_NE(bad.exit_code, 0) << bad.out;
  EXPECT_NE(bad.out.find("BadTopic"), std::string::npos) << bad.out;
}

// A Web Push endpoint is a URL the subscriber chose. One whose name only turns into a loopback
// address when it is resolved (here 2130706433, which is 127.0.0.1 written as one number) passes
// the registration check (which judges names and the usual address spellings; a name's address
// is only known when it is resolved) but is refused when the push connects: no request reaches this
// machine's services, the failure is recorded, and it is not retried.
TEST_F(Push, AWebPushEndpointThatResolvesInwardIsNeverConnectedTo) {
  start("", 300, 600, /*allow_private=*/false);
  UcwaApp probe(server, bob, app_body("bob-probe", "Browser"));
  const std::string path = probe.href() + "/pushNotificationRegistration";
  for (const char* host : {"localhost.", "LOCALHOST", "[::ffff:127.0.0.1]", "[::1]"}) {
    const auto refused = probe.post(path, webpush_body("sub1", host));
    EXPECT_EQ(refused.status, 400) << host << " -> " << refused.body;
  }
  auto browser = background_device("bob-browser", webpush_body("sub1", "2130706433"), "Browser");
  ASSERT_EQ(push_status("bob@example.org").size(), 1u);
  auto a = ready_alice();
  invite(*a);
  json::array devices;
  for (int i = 0; i < 50; ++i) {
    devices = push_status("bob@example.org");
    if (devices.size() == 1 && devices[0].as_object().contains("lastAttempt")) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(devices.size(), 1u) << json::serialize(devices);
  const auto& d = devices[0].as_object();
  ASSERT_TRUE(d.contains("lastError")) << json::serialize(devices);
  EXPECT_NE(str(d.at("lastError")).find("refused to connect to 127.0.0.1"), std::string::npos)
      << json::serialize(devices);
  EXPECT_FALSE(d.contains("lastSuccess")) << json::serialize(devices);
  // Not retried: the attempt stays the only one (the retry back-off here is 1 s).
  const auto first_attempt = str(d.at("lastAttempt"));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(str(push_status("bob@example.org")[0].at("lastAttempt")), first_attempt);
  EXPECT_TRUE(requests(to("webpush")).empty()) << json::serialize(received());
}

// ---- registration -----------------------------------------------------------------------------

TEST_F(Push, RegistrationsAreCheckedAndReplacedNeverDuplicated) {
  start("", 300, 600, /*allow_private=*/false, /*enable=*/false);
  UcwaApp phone(server, bob, app_body("bob-iphone", "Phone"));
  const std::string path = phone.href() + "/pushNotificationRegistration";
  const auto off = phone.post(path, apns_body(apns_token));
  EXPECT_EQ(off.status, 403) << off.body;
  EXPECT_EQ(subcode_of(off), "PushProviderDisabled");
  ok({"config", "set", "push", "--enable-apple-push-notification-service", "true", "--enable-web-push", "true"});
  const auto fcm_off = phone.post(path, fcm_body(fcm_token));
  EXPECT_EQ(fcm_off.status, 403) << fcm_off.body;
  EXPECT_EQ(subcode_of(fcm_off), "PushProviderDisabled");
  EXPECT_EQ(phone.post(path, apns_body("not-hex")).status, 400);
  EXPECT_EQ(phone.post(path, apns_body(apns_token.substr(0, 40))).status, 400);
  const auto private_endpoint = phone.post(path, webpush_body("sub1"));
  EXPECT_EQ(private_endpoint.status, 400) << private_endpoint.body;
  EXPECT_NE(private_endpoint.body.find("private"), std::string::npos) << private_endpoint.body;
  EXPECT_EQ(phone.post(path, R"({"provider":"carrier-pigeon","token":"x"})").status, 400);
  // Malformed bodies: each a 400 in the UCWA shape, nothing stored.
  for (const char* bad : {R"({"provider":"webpush","subscription":"https://127.0.0.1/wp/x"})",
                          R"({"provider":"webpush","subscription":{"endpoint":"https://push.example.net/x","keys":"k"}})",
                          R"({"provider":"webpush","subscription":{"endpoint":42}})",
                          R"({"provider":"apns"})", R"({"token":"abc"})", R"(["not","an","object"])",
                          "{\"provider\":\"fcm\",\"token\":\"" "x"  "\",\"deviceName\":1}"}) {
    const auto r = phone.post(path, bad);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
    EXPECT_NE(subcode_of(r), "") << r.body;
  }
  EXPECT_TRUE(push_status("bob@example.org").empty());

  const auto first = phone.post(path, apns_body(apns_token));
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string id = str(parse_json(first.body).at("id"));
  // The app registers again at its next start, with a new token: replaced, same device.
  const std::string renewed = hex(random_bytes(32));
  const auto again = phone.post(path, apns_body(renewed));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(str(parse_json(again.body).at("id")), id);
  const auto devices = push_status("bob@example.org");
  ASSERT_EQ(devices.size(), 1u) << json::serialize(devices);
  EXPECT_EQ(str(devices[0].at("id")), id);
  EXPECT_EQ(str(devices[0].at("token")), "…" + renewed.substr(renewed.size() - 8));
  // The same device under a new application (the app was reinstalled, a browser reloaded): still
  // one device, the registration of the old application gone.
  UcwaApp reinstalled(server, bob, app_body("bob-iphone-reinstalled", "Phone"));
  ASSERT_EQ(reinstalled.post(reinstalled.href() + "/pushNotificationRegistration", apns_body(renewed)).status, 201);
  const auto one = push_status("bob@example.org");
  ASSERT_EQ(one.size(), 1u) << json::serialize(one);
  EXPECT_NE(str(one[0].at("id")), id);
  ASSERT_EQ(phone.post(path, apns_body(renewed)).status, 201);  // and back again
  ASSERT_EQ(push_status("bob@example.org").size(), 1u);
  const auto got = parse_json(phone.get(path).body);
  EXPECT_TRUE(got.at("registered").as_bool());
  EXPECT_EQ(json::serialize(got.at("providers")), R"(["apns","webpush"])");
  EXPECT_EQ(phone.del(path).status, 204);
  EXPECT_FALSE(parse_json(phone.get(path).body).at("registered").as_bool());
  EXPECT_TRUE(push_status("bob@example.org").empty());
}

TEST_F(Push, OnlyAPushRegisteredPhoneKeepsTheLongSession) {
  // Short interval 120 s = 1.2 s at time_scale 100; the long one stays far away.
  start("[ucwa]\ntime_scale = 100\nexpiry_check_seconds = 1\nidle_timeout_without_event_channel = 60\n"
        "resume_after_seconds = 86400\n"
        "[mobility]\nsession_short_expiration_interval = 120\nsession_expiration_interval = 100000\n");
  UcwaApp registered(server, bob, app_body("bob-iphone", "Phone"));
  UcwaApp unregistered(server, bob, app_body("bob-pixel", "Phone"));
  ASSERT_EQ(registered.post(registered.href() + "/pushNotificationRegistration", apns_body(apns_token)).status, 201);
  auto r = std::async(std::launch::async, [&] { return registered.pget_raw(); });
  auto u = std::async(std::launch::async, [&] { return unregistered.pget_raw(); });
  EXPECT_EQ(r.get().status, 200);
  EXPECT_EQ(u.get().status, 200);
  std::this_thread::sleep_for(2800ms);
  EXPECT_EQ(subcode_of(unregistered.get(unregistered.href())), "ApplicationNotFound");
  EXPECT_EQ(registered.get(registered.href()).status, 200);
}

}  // namespace
}  // namespace parley::e2e
