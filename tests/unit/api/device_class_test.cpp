// The device class decides how long an application may stay silent (UCWA.md §3.1, §6.2), so a
// phone misread as a desktop would be signed out after an hour instead of three days.
#include "api/application_state.hpp"
#include "api/engine.hpp"
#include "api/resources.hpp"
#include "presence/contact_json.hpp"

#include <gtest/gtest.h>

namespace parley::api {
namespace {

TEST(DeviceClass, TypeWinsOverTheUserAgent) {
  EXPECT_EQ(classify_device("Phone", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"), DeviceClass::phone);
  EXPECT_EQ(classify_device("tablet", ""), DeviceClass::tablet);
  EXPECT_EQ(classify_device("Desktop", "iPhone"), DeviceClass::desktop);
  EXPECT_EQ(classify_device("Browser", "Android"), DeviceClass::browser);
  EXPECT_EQ(classify_device(" iPhone ", ""), DeviceClass::phone);
}

TEST(DeviceClass, UserAgentWhenTheTypeSaysNothing) {
  EXPECT_EQ(classify_device("", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"),
            DeviceClass::phone);
  EXPECT_EQ(classify_device("", "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Mobile/15E148"),
            DeviceClass::tablet);
  EXPECT_EQ(classify_device("", "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"),
            DeviceClass::phone);
  EXPECT_EQ(classify_device("", "Mozilla/5.0 (Linux; Android 14; SM-X710) Safari/537.36"),
            DeviceClass::tablet);
  EXPECT_EQ(classify_device("", "Mozilla/5.0 (Windows NT 10.0) Chrome/120 Safari/537.36"),
            DeviceClass::browser);
  EXPECT_EQ(classify_device("", "UCWA Samples"), DeviceClass::desktop);
  EXPECT_EQ(classify_device("Unknown", "python-requests/2.31"), DeviceClass::desktop);
}

Application make_app(std::string type, std::string agent) {
  return Application("a1", "alice@example.org", "en-US", "e", agent, type,
                     classify_device(type, agent), "/ucwa/oauth/v1/applications/a1");
}

TEST(DeviceClass, OnlyPhonesAndTabletsThatCanBeWokenByPushGetTheLongSession) {
  const auto registered = [](Application&& app) {
    app.state().push_registered = true;
    return app.long_session();
  };
  // Without a push registration nothing can wake the app: the short session, as for anyone.
  EXPECT_FALSE(make_app("Phone", "Parley/1.0 (iPhone)").long_session());
  EXPECT_FALSE(make_app("Tablet", "Parley/1.0").long_session());
  EXPECT_TRUE(registered(make_app("Phone", "Parley/1.0 (iPhone)")));
  EXPECT_TRUE(registered(make_app("Tablet", "Parley/1.0")));
  // Android too, now that FCM can wake it (Skype for Business could not).
  EXPECT_TRUE(registered(make_app("", "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36")));
  // A desktop or a browser keeps the short session even when it takes pushes.
  EXPECT_FALSE(registered(make_app("Desktop", "Parley/1.0")));
  EXPECT_FALSE(registered(make_app("Browser", "Mozilla/5.0 Chrome/120")));
  EXPECT_TRUE(android_agent("", "Mozilla/5.0 (Linux; Android 14)"));
  EXPECT_FALSE(android_agent("Phone", "Parley/1.0 (iPhone)"));
}

TEST(Resources, TelUrisKeepOnlyDigitsAndALeadingPlus) {
  EXPECT_EQ(presence::tel_uri_of("+1 (425) 555-0100"), "tel:+14255550100");
  EXPECT_EQ(presence::tel_uri_of("555 0100 x12"), "tel:555010012");
  EXPECT_EQ(presence::tel_uri_of(""), "");
  EXPECT_EQ(presence::tel_uri_of("+"), "");
  EXPECT_EQ(presence::tel_uri_of("1+2"), "tel:12");
}

TEST(Resources, InstanceIdsArePercentEncodedInEventHrefs) {
  Application app("a1", "alice@example.org", "en-US", "e", "ua", "", DeviceClass::browser,
                  "/ucwa/oauth/v1/applications/a1");
  EXPECT_EQ(events_href(app, ""), "/ucwa/oauth/v1/applications/a1/events?ack=1");
  EXPECT_EQ(events_href(app, "tab 1&x", 7),
            "/ucwa/oauth/v1/applications/a1/events?ack=7&instanceId=tab%201%26x");
}

}  // namespace
}  // namespace parley::api
