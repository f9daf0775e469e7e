#pragma once
// The fixture of the push end-to-end tests (ucwa_push_test.cpp, ucwa_push_voip_test.cpp): keys
// made per run, the provider mock aimed at by parleyd's [push] tables, Bob's devices registering
// and going to the background, and what the mock recorded.

#include "call_sdp.hpp"
#include "push_support.hpp"
#include "ucwa_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

namespace parley::e2e::push_fixture {

namespace json = boost::json;
using namespace std::chrono_literals;
using namespace push_support;

inline constexpr char kTeamId[] = "TEAM123456";
inline constexpr char kKeyId[] = "KEY1234567";
inline constexpr char kTopic[] = "org.example.parley";
inline constexpr char kProject[] = "parley-test";
inline constexpr char kClientEmail[] = "push@parley-test.iam.gserviceaccount.com";
inline constexpr char kCallable[] =
    R"({"supportedModalities":["Messaging","Audio","Video"],"supportedMessageFormats":["Plain"]})";
inline constexpr char kSecret[] = "the-secret-plan";  // message text that must not leak by default

inline std::string str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : json::serialize(v); }

inline json::object app_body(const std::string& endpoint, const std::string& type, const std::string& agent = "Parley/1.0") {
  return json::object{{"culture", "en-US"}, {"endpointId", endpoint}, {"userAgent", agent}, {"type", type}};
}

// ---- the fixture ----------------------------------------------------------------------------

struct Device {
  std::string provider;
  std::string token;  // APNs/FCM token; Web Push: the mock's subscription id
};

class Push : public ::testing::Test {
protected:
  void SetUp() override {
    const fs::path d = keys.path();
    auto tls = generate("EC", "P-256", 0);
    write_file(d / "tls.key", pem_of(tls.get(), true));
    write_file(d / "tls.crt", self_signed_for_loopback(tls.get()));
    ca = d / "tls.crt";

    auto apns = generate("EC", "P-256", 0);
    write_file(d / "AuthKey.p8", pem_of(apns.get(), true));
    write_file(d / "apns.pub.pem", pem_of(apns.get(), false));
    fcm_key = generate("RSA", nullptr, 2048);
    write_file(d / "fcm.pub.pem", pem_of(fcm_key.get(), false));
    // Two browsers: one that takes pushes and one whose subscription the push service forgot.
    json::object subs;
    for (const char* id : {"sub1", "gone"}) {
      auto browser = generate("EC", "P-256", 0);
      const std::string auth = random_bytes(16);
      write_file(d / (std::string(id) + ".pem"), pem_of(browser.get(), true));
      subs[id] = json::object{{"privateKeyPem", (d / (std::string(id) + ".pem")).string()},
                              {"auth", base64url(auth)},
                              {"gone", std::string(id) == "gone"}};
      browsers[id] = {base64url(raw_point(browser.get())), base64url(auth)};
    }
    apns_token = hex(random_bytes(32));
    voip_token = hex(random_bytes(32));
    dead_apns_token = hex(random_bytes(32));
    fcm_token = "fcm-" + base64url(random_bytes(40));
    dead_fcm_token = "fcm-dead-" + base64url(random_bytes(20));
    const json::object config{
        {"key", (d / "tls.key").string()},
        {"cert", ca.string()},
        {"apns", json::object{{"teamId", kTeamId},
                              {"keyId", kKeyId},
                              {"publicKeyPem", (d / "apns.pub.pem").string()},
                              {"topics", json::array{kTopic, std::string(kTopic) + ".voip"}},
                              {"unregistered", json::object{{dead_apns_token, true}}}}},
        {"fcm", json::object{{"projectId", kProject},
                             {"clientEmail", kClientEmail},
                             {"publicKeyPem", (d / "fcm.pub.pem").string()},
                             {"unregistered", json::array{dead_fcm_token.c_str()}}}},
        {"webpush", json::object{{"subscriptions", subs}}}};
    write_file(d / "mock.json", json::serialize(config));
    mock.start(d / "mock.json", d / "mock.log");

    // The service account file as Google hands it out, its token_uri aimed at the mock.
    const json::object account{{"type", "service_account"},
                               {"project_id", kProject},
                               {"private_key_id", "k1"},
                               {"private_key", pem_of(fcm_key.get(), true)},
                               {"client_email", kClientEmail},
                               {"token_uri", mock.url() + "/token"}};
    write_file(d / "service-account.json", json::serialize(account));
  }

  void TearDown() override {
    if (!HasFailure()) return;
    const std::string out = server.output();
    std::cerr << "---- parleyd (last lines) ----\n" << out.substr(out.size() > 6000 ? out.size() - 6000 : 0)
              << "---- push mock ----\n" << read_file(keys.path() / "mock.log");
  }

  // The [push] tables pointing every provider at the mock.
  std::string push_toml(unsigned grace_ms = 300, unsigned ttl_seconds = 600, bool allow_private = true) const {
    const fs::path d = keys.path();
    auto q = [](const fs::path& p) { return "\"" + p.string() + "\""; };
    return "[push]\ngrace_ms = " + std::to_string(grace_ms) + "\nttl_seconds = " + std::to_string(ttl_seconds) +
           "\n[push.apns]\nkey_file = " + q(d / "AuthKey.p8") + "\nkey_id = \"" + kKeyId + "\"\nteam_id = \"" +
           kTeamId + "\"\ntopic = \"" + kTopic + "\"\nurl = \"" + mock.url() + "\"\nsandbox_url = \"" + mock.url() +
           "\"\nca_file = " + q(ca) + "\n[push.fcm]\nservice_account_file = " + q(d / "service-account.json") +
           "\nurl = \"" + mock.url() + "\"\ntoken_url = \"" + mock.url() + "/token\"\nca_file = " + q(ca) +
           "\n[push.webpush]\nallow_private_endpoints = " + (allow_private ? "true" : "false") +
           "\nca_file = " + q(ca) + "\n";
  }

  void start(const std::string& extra = "", unsigned grace_ms = 300, unsigned ttl_seconds = 600,
             bool allow_private = true, bool enable = true) {
    server.start_with_test_config(dir.path(), extra + push_toml(grace_ms, ttl_seconds, allow_private));
    add_user(server, "alice@example.org", {"--name", "Alice Example"});
    add_user(server, "bob@example.org", {"--name", "Bob Example"});
    alice = sign_in(server, "alice@example.org");
    bob = sign_in(server, "bob@example.org");
    if (enable)
      ok({"config", "set", "push", "--enable-apple-push-notification-service", "true",
          "--enable-firebase-cloud-messaging", "true", "--enable-web-push", "true"});
  }

  CommandResult parley(std::vector<std::string> args) {
    return run_parley(server, args);
  }
  void ok(std::vector<std::string> args) {
    const auto r = parley(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  json::array push_status(const std::string& user) {
    const auto r = parley({"--json", "push", "status", user});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    if (r.exit_code != 0) return {};
    const auto v = parse_json(r.out);
    return v.as_object().contains("devices") ? v.at("devices").as_array() : json::array{};
  }

  // The registration bodies a phone or browser POSTs.
  static std::string apns_body(const std::string& token, bool voip = false) {
    return json::serialize(json::object{{"provider", "apns"}, {"token", token}, {"appId", kTopic},
                                        {"environment", "production"}, {"voip", voip},
                                        {"deviceName", voip ? "Bob's iPhone (VoIP)" : "Bob's iPhone"}});
  }
  static std::string fcm_body(const std::string& token) {
    return json::serialize(json::object{{"provider", "fcm"}, {"token", token}, {"deviceName", "Bob's Pixel"}});
  }
  std::string webpush_body(const std::string& sub, const std::string& host = "127.0.0.1") const {
    const auto& [p256dh, auth] = browsers.at(sub);
    const std::string endpoint = "https://" + host + ":" + std::to_string(mock.port) + "/wp/" + sub;
    return json::serialize(json::object{
        {"provider", "webpush"},
        {"subscription", json::object{{"endpoint", endpoint}, {"keys", json::object{{"p256dh", p256dh}, {"auth", auth}}}}},
        {"deviceName", "Bob's browser"}});
  }

  // An application of Bob's that registers for push and goes to the background: available, one
  // event channel round, then no pending GET.
  std::unique_ptr<UcwaApp> background_device(const std::string& endpoint, const std::string& registration,
                                             const std::string& type = "Phone") {
    auto app = std::make_unique<UcwaApp>(server, bob, app_body(endpoint, type));
    const auto r = app->post(app->href() + "/pushNotificationRegistration", registration);
    EXPECT_EQ(r.status, 201) << r.body;
    app->make_me_available(kCallable);
    app->pget();
    return app;
  }

  std::unique_ptr<UcwaApp> ready_alice() {
    auto a = std::make_unique<UcwaApp>(server, alice, app_body("alice-laptop", "Browser", "Mozilla/5.0 Chrome/120"));
    a->make_me_available(kCallable);
    a->pget();
    return a;
  }

  // ---- the mock's record ----
  json::array received() {
    const auto r = http_request("GET", mock.url() + "/control/received", ca);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_json(r.body).as_array();
  }
  using Match = std::function<bool(const json::object&)>;
  std::vector<json::object> requests(const Match& m) {
    std::vector<json::object> out;
    for (const auto& e : received())
      if (m(e.as_object())) out.push_back(e.as_object());
    return out;
  }
  // Waits (bounded) until `count` requests match; returns what matched by then.
  std::vector<json::object> wait_for(const Match& m, std::size_t count = 1, std::chrono::milliseconds limit = 8000ms) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto got = requests(m);
      if (got.size() >= count || std::chrono::steady_clock::now() > deadline) return got;
      std::this_thread::sleep_for(50ms);
    }
  }
  void script(const std::string& match, const json::array& responses) {
    const auto r = http_request("POST", mock.url() + "/control/script", ca,
                                json::serialize(json::object{{"match", match}, {"responses", responses}}));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void reset_mock() { ASSERT_EQ(http_request("POST", mock.url() + "/control/reset", ca).status, 200); }

  static Match to(std::string provider, std::string token = "") {
    return [provider, token](const json::object& e) {
      return str(e.at("provider")) == provider && str(e.at("path")).find(token) != std::string::npos;
    };
  }
  // The app data of a request the provider took: APNs `parley`, FCM `message.data`, Web Push the
  // decrypted payload.
  static json::object data_of(const json::object& e) {
    const auto& body = e.at("body");
    if (!body.is_string()) return {};
    const auto doc = json::parse(body.as_string()).as_object();
    const std::string provider = str(e.at("provider"));
    if (provider == "apns") return doc.at("parley").as_object();
    if (provider == "fcm") return doc.at("message").at("data").as_object();
    return doc;
  }
  static Match kind(Match base, std::string k) {
    return [base, k](const json::object& e) {
      if (!base(e)) return false;
      const auto d = data_of(e);
      return d.contains("kind") && str(d.at("kind")) == k;
    };
  }
  static std::string header(const json::object& e, const std::string& name) {
    const auto& h = e.at("headers").as_object();
    return h.contains(name) ? str(h.at(name)) : "";
  }

  std::string invite(UcwaApp& from, const std::string& text = kSecret) {
    json::object body{{"to", "sip:bob@example.org"}, {"subject", "Plans"}, {"importance", "Normal"},
                      {"operationId", "op-im"}, {"message", "data:text/plain;charset=utf-8," + text}};
    const auto r = from.post(from.href() + "/communication/messagingInvitations", json::serialize(body));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.header("Location");
  }

  TempDir keys, dir;
  PushMock mock;
  Parleyd server;
  fs::path ca;
  Pkey fcm_key;
  std::map<std::string, std::pair<std::string, std::string>> browsers;  // id → {p256dh, auth}
  std::string apns_token, voip_token, dead_apns_token, fcm_token, dead_fcm_token;
  std::string alice, bob;
};

inline Reply call(UcwaApp& from) {
  json::object body{{"to", "sip:bob@example.org"}, {"operationId", "op-call"}, {"importance", "Normal"}};
  body["_links"] = json::object{{"mediaOffer", json::object{{"href", sdp_uri(kAliceOffer)}}}};
  return from.post(from.href() + "/communication/audioVideoInvitations", json::serialize(body));
}

inline bool mentions(const json::object& request, const std::string& text) {
  const auto& b = request.at("body");
  return b.is_string() && std::string_view(b.as_string()).find(text) != std::string_view::npos;
}

}  // namespace parley::e2e::push_fixture
