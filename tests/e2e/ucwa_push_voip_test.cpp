// An iPhone registers both of its tokens: the regular APNs device token for alerts (messages,
// missed calls, the badge) and its PushKit token (`voipToken`) for incoming calls. Calls go to
// PushKit as VoIP pushes, everything else to the alert token; APNs declaring the PushKit token
// dead drops only that token. Same mock and fixture as ucwa_push_test.cpp.
#include "push_fixture.hpp"

namespace parley::e2e {
namespace {

using namespace push_fixture;

class PushVoip : public Push {
protected:
  // What an iOS app with CallKit posts: both tokens, one registration.
  static std::string both_body(const std::string& token, const std::string& voip) {
    return json::serialize(json::object{{"provider", "apns"}, {"token", token}, {"voipToken", voip},
                                        {"appId", kTopic}, {"environment", "production"},
                                        {"deviceName", "Bob's iPhone"}});
  }
  static std::string tail(const std::string& token) { return "…" + token.substr(token.size() - 8); }

  json::object registration(UcwaApp& app) {
    const auto r = app.get(app.href() + "/pushNotificationRegistration");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? parse_json(r.body).as_object() : json::object{};
  }
};

TEST_F(PushVoip, CallsGoToThePushKitTokenAndEverythingElseToTheAlertToken) {
  start("[calls]\nring_timeout_seconds = 5\n");  // the shortest ring: the missed call comes soon
  auto iphone = background_device("bob-iphone", both_body(apns_token, voip_token));
  const auto shown = registration(*iphone);
  EXPECT_EQ(str(shown.at("token")), tail(apns_token)) << json::serialize(shown);
  ASSERT_TRUE(shown.contains("voipToken")) << json::serialize(shown);
  EXPECT_EQ(str(shown.at("voipToken")), tail(voip_token));
  EXPECT_FALSE(shown.at("voip").as_bool());
  auto a = ready_alice();

  invite(*a);
  const auto im = wait_for(kind(to("apns", apns_token), "invitation"));
  ASSERT_EQ(im.size(), 1u) << json::serialize(received());
  EXPECT_EQ(im[0].at("status").to_number<int>(), 200) << json::serialize(im[0]);
  EXPECT_EQ(str(im[0].at("path")), "/3/device/" + apns_token);
  EXPECT_EQ(header(im[0], "apns-push-type"), "alert");
  EXPECT_EQ(header(im[0], "apns-topic"), kTopic);
  // PushKit makes iOS report a call for every push it takes: a message must never go there.
  EXPECT_TRUE(requests(to("apns", voip_token)).empty()) << json::serialize(received());

  ASSERT_EQ(call(*a).status, 201);
  const auto ring = wait_for(kind(to("apns", voip_token), "call"));
  ASSERT_EQ(ring.size(), 1u) << json::serialize(received());
  EXPECT_EQ(ring[0].at("status").to_number<int>(), 200) << json::serialize(ring[0]);
  EXPECT_EQ(str(ring[0].at("path")), "/3/device/" + voip_token);
  EXPECT_EQ(header(ring[0], "apns-push-type"), "voip");
  EXPECT_EQ(header(ring[0], "apns-topic"), std::string(kTopic) + ".voip");
  EXPECT_EQ(header(ring[0], "apns-priority"), "10");
  EXPECT_EQ(header(ring[0], "apns-collapse-id"), "");
  EXPECT_EQ(str(data_of(ring[0]).at("from")), "sip:alice@example.org");

  // Rings out after 5 s: the missed call is an alert again, on the alert token.
  const auto missed = wait_for(kind(to("apns", apns_token), "missedCall"), 1, 12000ms);
  ASSERT_EQ(missed.size(), 1u) << json::serialize(received());
  EXPECT_EQ(header(missed[0], "apns-push-type"), "alert");
  EXPECT_EQ(header(missed[0], "apns-topic"), kTopic);
  // The call itself went to PushKit only, and PushKit got nothing but the call.
  EXPECT_TRUE(requests(kind(to("apns", apns_token), "call")).empty()) << json::serialize(received());
  EXPECT_EQ(requests(to("apns", voip_token)).size(), 1u) << json::serialize(received());

  // Administrators see that the device has both.
  const auto devices = push_status("bob@example.org");
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(str(devices[0].at("voipToken")), tail(voip_token)) << json::serialize(devices);
  const auto table = parley({"push", "status", "bob@example.org"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("VOIP TOKEN"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(tail(voip_token)), std::string::npos) << table.out;
}

TEST_F(PushVoip, ADeadPushKitTokenIsDroppedAndTheAlertTokenKeepsWorking) {
  start();
  auto iphone = background_device("bob-iphone", both_body(apns_token, voip_token));
  script(voip_token, json::array{json::object{{"status", 410}, {"reason", "Unregistered"}}});
  auto a = ready_alice();
  ASSERT_EQ(call(*a).status, 201);
  const auto gone = wait_for(to("apns", voip_token));
  ASSERT_EQ(gone.size(), 1u) << json::serialize(received());
  EXPECT_EQ(gone[0].at("status").to_number<int>(), 410);
  // The call still rings on the phone: as an alert on the token that still works.
  const auto ring = wait_for(kind(to("apns", apns_token), "call"));
  ASSERT_EQ(ring.size(), 1u) << json::serialize(received());
  EXPECT_EQ(ring[0].at("status").to_number<int>(), 200);
  EXPECT_EQ(header(ring[0], "apns-push-type"), "alert");

  json::object shown;
  for (int i = 0; i < 50; ++i) {
    shown = registration(*iphone);
    if (!shown.contains("voipToken")) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(shown.at("registered").as_bool()) << json::serialize(shown);
  EXPECT_FALSE(shown.contains("voipToken")) << json::serialize(shown);
  EXPECT_EQ(str(shown.at("token")), tail(apns_token));
  const auto devices = push_status("bob@example.org");
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_FALSE(devices[0].as_object().contains("voipToken")) << json::serialize(devices);
  // Health shows the last attempt: the alert that carried the call.
  EXPECT_EQ(devices[0].at("lastStatus").to_number<int>(), 200) << json::serialize(devices);

  // Messages still arrive, on the alert token; the dead PushKit token is not tried again.
  invite(*a);
  const auto im = wait_for(kind(to("apns", apns_token), "invitation"));
  ASSERT_EQ(im.size(), 1u) << json::serialize(received());
  EXPECT_EQ(im[0].at("status").to_number<int>(), 200);
  EXPECT_EQ(header(im[0], "apns-push-type"), "alert");
  EXPECT_EQ(requests(to("apns", voip_token)).size(), 1u);
}

TEST_F(PushVoip, AVoipTokenIsCheckedAndReplacedLikeEveryOtherField) {
  start();
  UcwaApp phone(server, bob, app_body("bob-iphone", "Phone"));
  const std::string path = phone.href() + "/pushNotificationRegistration";
  auto with = [](json::object body, const std::string& voip) {
    body["voipToken"] = voip;
    return json::serialize(body);
  };
  const auto fcm = phone.post(path, with(parse_json(fcm_body(fcm_token)).as_object(), voip_token));
  const auto webpush = phone.post(path, with(parse_json(webpush_body("sub1")).as_object(), voip_token));
  const auto contradictory =
      phone.post(path, with(parse_json(apns_body(apns_token, true)).as_object(), voip_token));
  const auto not_hex = phone.post(path, both_body(apns_token, "not-a-pushkit-token"));
  const auto too_short = phone.post(path, both_body(apns_token, voip_token.substr(0, 40)));
  auto numeric = parse_json(apns_body(apns_token)).as_object();
  numeric["voipToken"] = 42;
  const auto not_string = phone.post(path, json::serialize(numeric));
  for (const auto* r : {&fcm, &webpush, &contradictory, &not_hex, &too_short, &not_string}) {
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(subcode_of(*r), "ParameterValidationFailure") << r->body;
    EXPECT_NE(r->body.find("voipToken"), std::string::npos) << "the message should name voipToken: " << r->body;
  }
  EXPECT_NE(contradictory.body.find("voip"), std::string::npos);
  EXPECT_TRUE(push_status("bob@example.org").empty());
  EXPECT_FALSE(parse_json(phone.get(path).body).at("registered").as_bool());

  const auto both = phone.post(path, both_body(apns_token, voip_token));
  ASSERT_EQ(both.status, 201) << both.body;
  EXPECT_EQ(str(parse_json(both.body).at("voipToken")), tail(voip_token));
  // The next start registers again, this time without PushKit: the VoIP token goes with it.
  const auto alerts_only = phone.post(path, apns_body(apns_token));
  ASSERT_EQ(alerts_only.status, 200) << alerts_only.body;
  EXPECT_FALSE(parse_json(alerts_only.body).as_object().contains("voipToken")) << alerts_only.body;
  const auto shown = parse_json(phone.get(path).body).as_object();
  EXPECT_TRUE(shown.at("registered").as_bool());
  EXPECT_FALSE(shown.contains("voipToken")) << json::serialize(shown);
  const auto devices = push_status("bob@example.org");
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_FALSE(devices[0].as_object().contains("voipToken")) << json::serialize(devices);
}

}  // namespace
}  // namespace parley::e2e
