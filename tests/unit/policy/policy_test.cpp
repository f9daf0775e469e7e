// The settings model: field lists and defaults, validation of partial settings, consistency
// rules, resolution across scopes with provenance, and the typed views.

#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "policy/policy.hpp"

namespace parley::policy {
namespace {

namespace json = boost::json;

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

// The message of the ParameterValidationFailure `f` throws; fails the test if it throws nothing.
template <class F>
std::string failure_of(F&& f) {
  try {
    f();
  } catch (const ParameterValidationFailure& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ParameterValidationFailure";
  return {};
}

TEST(Kinds, NamesRoundTripCaseInsensitively) {
  for (Kind k : {Kind::mobility, Kind::mcx, Kind::push, Kind::webservice}) {
    EXPECT_EQ(parse_kind(to_string(k)), k);
  }
  EXPECT_EQ(parse_kind("MOBILITY"), Kind::mobility);
  EXPECT_EQ(parse_kind("WebService"), Kind::webservice);
  EXPECT_FALSE(parse_kind("voice"));
  EXPECT_FALSE(parse_kind(""));
}

TEST(NetworkTypes, ParseCaseInsensitively) {
  EXPECT_EQ(parse_network_type("wifi"), NetworkType::wifi);
  EXPECT_EQ(parse_network_type("WIFI"), NetworkType::wifi);
  EXPECT_EQ(parse_network_type("Cellular"), NetworkType::cellular);
  EXPECT_EQ(parse_network_type("wired"), NetworkType::wired);
  EXPECT_EQ(parse_network_type("Unknown"), NetworkType::unknown);
  EXPECT_FALSE(parse_network_type("bluetooth"));
  EXPECT_EQ(to_string(NetworkType::wifi), "Wifi");
  EXPECT_EQ(to_string(NetworkType::wired), "Wired");
}

TEST(Fields, MobilityListsEveryCmdletParameterInOrder) {
  std::vector<std::string> names;
  for (const auto& f : fields(Kind::mobility)) names.emplace_back(f.name);
  const std::vector<std::string> want = {
      "EnableMobility", "EnableOutsideVoice", "EnableIPAudioVideo", "RequireWIFIForIPAudio",
      "RequireWIFIForIPVideo", "RequireWiFiForSharing", "AllowSaveCallLogs",
      "AllowExchangeConnectivity", "AllowSaveIMHistory", "AllowSaveCredentials",
      "AllowCustomerExperienceImprovementProgram", "EncryptAppData", "AllowDeviceContactsSync",
      "EnablePushNotifications", "VoiceSettings"};
  EXPECT_EQ(names, want);
  for (const auto& f : fields(Kind::mobility)) EXPECT_FALSE(f.help.empty()) << f.name;
}

TEST(Fields, RangesAndChoicesAreTheDocumentedOnes) {
  const auto& mcx = fields(Kind::mcx);
  ASSERT_EQ(mcx.size(), 3u);
  EXPECT_EQ(mcx[0].name, "SessionExpirationInterval");
  EXPECT_EQ(mcx[0].min, 120);
  EXPECT_EQ(mcx[0].max, 4294967295LL);
  EXPECT_EQ(mcx[2].name, "ExposedWebURL");
  EXPECT_EQ(mcx[2].choices, (std::vector<std::string_view>{"Internal", "External"}));
  const auto& ws = fields(Kind::webservice);
  ASSERT_EQ(ws.size(), 5u);
  EXPECT_EQ(ws[4].name, "PendingGetWaitTimeOutInMinutes");
  EXPECT_EQ(ws[4].min, 5);
  EXPECT_EQ(ws[4].max, 15);
  const auto& push = fields(Kind::push);
  ASSERT_EQ(push.size(), 4u);
  EXPECT_EQ(push[3].name, "EnableMessagePreviews");
  EXPECT_FALSE(push[3].default_value.as_bool());  // privacy first: no message text by default
}

TEST(Defaults, ResolvingNothingGivesTheTypedDefaults) {
  const auto m = mobility_of(resolve(Kind::mobility, {}).values);
  EXPECT_TRUE(m.enable_mobility);
  EXPECT_TRUE(m.enable_outside_voice);
  EXPECT_TRUE(m.enable_ip_audio_video);
  EXPECT_FALSE(m.require_wifi_for_ip_audio);
  EXPECT_FALSE(m.require_wifi_for_ip_video);
  EXPECT_FALSE(m.require_wifi_for_sharing);
  EXPECT_TRUE(m.allow_save_call_logs);
  EXPECT_TRUE(m.encrypt_app_data);
  EXPECT_TRUE(m.enable_push_notifications);
  EXPECT_EQ(m.voice_settings, "VoIPAlways");

  const auto mcx = mcx_of(resolve(Kind::mcx, {}).values);
  EXPECT_EQ(mcx.session_expiration_interval, 259200u);
  EXPECT_EQ(mcx.session_short_expiration_interval, 3600u);
  EXPECT_EQ(mcx.exposed_web_url, "External");

  const auto push = push_of(resolve(Kind::push, {}).values);
  EXPECT_FALSE(push.apns);  // push is off until an administrator turns it on
  EXPECT_FALSE(push.fcm);
  EXPECT_FALSE(push.web_push);

  const auto ws = webservice_of(resolve(Kind::webservice, {}).values);
  EXPECT_EQ(ws.token_lifetime_seconds, 28800u);
  EXPECT_EQ(ws.default_validity_period_hours, 4320u);
  EXPECT_EQ(ws.min_validity_period_hours, 8u);
  EXPECT_EQ(ws.max_validity_period_hours, 8760u);
  EXPECT_EQ(ws.pending_get_wait_timeout_minutes, 15u);

  // Every field is present with source "default", and the defaults are themselves consistent.
  for (Kind k : {Kind::mobility, Kind::mcx, Kind::push, Kind::webservice}) {
    const auto r = resolve(k, {});
    EXPECT_EQ(r.values.size(), fields(k).size());
    for (const auto& f : fields(k)) EXPECT_EQ(r.source.at(std::string(f.name)), "default");
    EXPECT_NO_THROW(check_consistent(k, r.values));
  }
}

TEST(Validate, NamesAndChoicesAreCaseInsensitiveAndComeOutCanonical) {
  const auto v = validate(Kind::mobility,
                          obj(R"({"enablemobility": false, "REQUIREWIFIFORIPVIDEO": true,
                                  "voicesettings": "voipoverwifi"})"));
  EXPECT_EQ(v, obj(R"({"EnableMobility": false, "RequireWIFIForIPVideo": true,
                       "VoiceSettings": "VoIPOverWiFi"})"));
  EXPECT_EQ(validate(Kind::mcx, obj(R"({"exposedweburl": "INTERNAL"})")),
            obj(R"({"ExposedWebURL": "Internal"})"));
}

TEST(Validate, UnknownSettingNamesTheKindAndTheKnownOnes) {
  const auto msg = failure_of([] { validate(Kind::push, obj(R"({"EnableMPNS": true})")); });
  EXPECT_EQ(msg, "unknown setting EnableMPNS for push; known: EnableApplePushNotificationService, "
                 "EnableFirebaseCloudMessaging, EnableWebPush, EnableMessagePreviews");
  // A mobility field is not an mcx field.
  EXPECT_NE(failure_of([] { validate(Kind::mcx, obj(R"({"EnableMobility": true})")); })
                .find("unknown setting EnableMobility for mcx"),
            std::string::npos);
}

TEST(Validate, BooleansMustBeJsonBooleans) {
  for (const char* bad : {R"({"EnableMobility": "true"})", R"({"EnableMobility": "False"})",
                          R"({"EnableMobility": 1})", R"({"EnableMobility": []})"}) {
    const auto msg = failure_of([&] { validate(Kind::mobility, obj(bad)); });
    EXPECT_NE(msg.find("EnableMobility must be true or false"), std::string::npos) << bad;
  }
  EXPECT_EQ(validate(Kind::push, obj(R"({"EnableWebPush": true})")),
            obj(R"({"EnableWebPush": true})"));
}

TEST(Validate, IntegersMustBeJsonIntegersInRange) {
  EXPECT_NO_THROW(validate(Kind::mcx, obj(R"({"SessionExpirationInterval": 120})")));
  EXPECT_NO_THROW(validate(Kind::mcx, obj(R"({"SessionExpirationInterval": 4294967295})")));
  for (const char* bad : {R"({"SessionExpirationInterval": 119})",
                          R"({"SessionExpirationInterval": 4294967296})",
                          R"({"SessionExpirationInterval": -5})",
                          R"({"SessionExpirationInterval": 3600.5})",
                          R"({"SessionExpirationInterval": "3600"})",
                          R"({"SessionExpirationInterval": true})"}) {
    const auto msg = failure_of([&] { validate(Kind::mcx, obj(bad)); });
    EXPECT_EQ(msg, "SessionExpirationInterval must be an integer from 120 to 4294967295") << bad;
  }
  EXPECT_NO_THROW(validate(Kind::webservice, obj(R"({"PendingGetWaitTimeOutInMinutes": 5})")));
  EXPECT_NE(failure_of([] {
              validate(Kind::webservice, obj(R"({"PendingGetWaitTimeOutInMinutes": 16})"));
            }).find("from 5 to 15"),
            std::string::npos);
  EXPECT_NE(failure_of([] { validate(Kind::webservice, obj(R"({"TokenLifetimeSeconds": 0})")); })
                .find("TokenLifetimeSeconds"),
            std::string::npos);
}

TEST(Validate, ChoicesOutsideTheListAreRefusedWithTheList) {
  const auto msg = failure_of([] { validate(Kind::mobility, obj(R"({"VoiceSettings": "Sat"})")); });
  EXPECT_EQ(msg, "VoiceSettings must be one of VoIPAlways, VoIPOverWiFi, Cellular");
  EXPECT_FALSE(failure_of([] { validate(Kind::mcx, obj(R"({"ExposedWebURL": 1})")); }).empty());
}

TEST(Validate, NullPassesThroughAsRemoval) {
  EXPECT_EQ(validate(Kind::mobility, obj(R"({"enablemobility": null})")),
            obj(R"({"EnableMobility": null})"));
}

TEST(Validate, TheSameFieldTwiceInDifferentCaseIsRefused) {
  EXPECT_FALSE(failure_of([] {
                 validate(Kind::mobility, obj(R"({"EnableMobility": true, "enablemobility": false})"));
               }).empty());
}

TEST(Consistency, McxLongIntervalMustExceedShort) {
  EXPECT_NO_THROW(check_consistent(
      Kind::mcx, obj(R"({"SessionExpirationInterval": 3601, "SessionShortExpirationInterval": 3600})")));
  const auto msg = failure_of([] {
    check_consistent(Kind::mcx, obj(R"({"SessionExpirationInterval": 3600,
                                         "SessionShortExpirationInterval": 3600})"));
  });
  EXPECT_NE(msg.find("SessionExpirationInterval (3600)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("SessionShortExpirationInterval (3600)"), std::string::npos) << msg;
  // A missing value is the default: short 300000 is above the default long 259200.
  EXPECT_NE(failure_of([] {
              check_consistent(Kind::mcx, obj(R"({"SessionShortExpirationInterval": 300000})"));
            }).find("259200"),
            std::string::npos);
}

TEST(Consistency, WebServiceValidityPeriodsAreOrdered) {
  EXPECT_NO_THROW(check_consistent(Kind::webservice,
                                   obj(R"({"MinValidityPeriodHours": 24, "DefaultValidityPeriodHours": 24,
                                           "MaxValidityPeriodHours": 24})")));
  EXPECT_FALSE(failure_of([] {
                 check_consistent(Kind::webservice, obj(R"({"MinValidityPeriodHours": 5000})"));
               }).empty());
  EXPECT_FALSE(failure_of([] {
                 check_consistent(Kind::webservice, obj(R"({"MaxValidityPeriodHours": 100})"));
               }).empty());
  // Mobility and push have no cross-field rules.
  EXPECT_NO_THROW(check_consistent(Kind::mobility, obj(R"({"EnableMobility": false})")));
}

TEST(Resolve, MostSpecificLayerWinsAndIsNamedAsTheSource) {
  const std::vector<Layer> layers = {
      {"global", obj(R"({"EnableMobility": false, "AllowSaveCallLogs": false})")},
      {"site field-staff (policy fieldwork)",
       obj(R"({"EnableMobility": true, "RequireWIFIForIPVideo": true})")},
      {"user bob@example.org (policy contractor)", obj(R"({"RequireWIFIForIPVideo": false})")},
  };
  const auto r = resolve(Kind::mobility, layers);
  EXPECT_EQ(r.values.at("EnableMobility"), json::value(true));
  EXPECT_EQ(r.source.at("EnableMobility"), "site field-staff (policy fieldwork)");
  EXPECT_EQ(r.values.at("AllowSaveCallLogs"), json::value(false));
  EXPECT_EQ(r.source.at("AllowSaveCallLogs"), "global");
  EXPECT_EQ(r.values.at("RequireWIFIForIPVideo"), json::value(false));
  EXPECT_EQ(r.source.at("RequireWIFIForIPVideo"), "user bob@example.org (policy contractor)");
  EXPECT_EQ(r.values.at("VoiceSettings"), json::value("VoIPAlways"));
  EXPECT_EQ(r.source.at("VoiceSettings"), "default");
  EXPECT_EQ(r.values.size(), fields(Kind::mobility).size());
  EXPECT_EQ(r.source.size(), fields(Kind::mobility).size());
}

TEST(Resolve, StoredJunkIsSkippedNotApplied) {
  // Settings written by an older version: an unknown name, a wrong type, a null, an odd case.
  const auto r = resolve(Kind::mcx, {{"global", obj(R"({"PushNotificationProxyUri": "sip:push@x",
                                                        "SessionExpirationInterval": "soon",
                                                        "SessionShortExpirationInterval": null,
                                                        "exposedweburl": "internal"})")}});
  EXPECT_FALSE(r.values.contains("PushNotificationProxyUri"));
  EXPECT_EQ(r.values.at("SessionExpirationInterval"), json::value(259200));
  EXPECT_EQ(r.source.at("SessionExpirationInterval"), "default");
  EXPECT_EQ(r.source.at("SessionShortExpirationInterval"), "default");
  EXPECT_EQ(r.values.at("ExposedWebURL"), json::value("Internal"));
  EXPECT_EQ(r.source.at("ExposedWebURL"), "global");
}

TEST(TypedViews, ReadTheResolvedValues) {
  const auto m = mobility_of(resolve(Kind::mobility,
                                     {{"g", obj(R"({"EnableMobility": false, "RequireWiFiForSharing": true,
                                                    "AllowDeviceContactsSync": false,
                                                    "VoiceSettings": "Cellular"})")}})
                                 .values);
  EXPECT_FALSE(m.enable_mobility);
  EXPECT_TRUE(m.require_wifi_for_sharing);
  EXPECT_FALSE(m.allow_device_contacts_sync);
  EXPECT_TRUE(m.allow_save_im_history);
  EXPECT_EQ(m.voice_settings, "Cellular");

  const auto mcx = mcx_of(obj(R"({"SessionExpirationInterval": 4294967295,
                                  "SessionShortExpirationInterval": 600, "ExposedWebURL": "Internal"})"));
  EXPECT_EQ(mcx.session_expiration_interval, 4294967295u);
  EXPECT_EQ(mcx.session_short_expiration_interval, 600u);
  EXPECT_EQ(mcx.exposed_web_url, "Internal");

  const auto push = push_of(obj(R"({"EnableApplePushNotificationService": true, "EnableWebPush": true})"));
  EXPECT_TRUE(push.apns);
  EXPECT_FALSE(push.fcm);
  EXPECT_TRUE(push.web_push);

  const auto ws = webservice_of(obj(R"({"TokenLifetimeSeconds": 600, "MinValidityPeriodHours": 24,
                                        "PendingGetWaitTimeOutInMinutes": 5})"));
  EXPECT_EQ(ws.token_lifetime_seconds, 600u);
  EXPECT_EQ(ws.min_validity_period_hours, 24u);
  EXPECT_EQ(ws.pending_get_wait_timeout_minutes, 5u);
  EXPECT_EQ(ws.max_validity_period_hours, 8760u);
}

}  // namespace
}  // namespace parley::policy
