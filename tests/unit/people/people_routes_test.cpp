// The people routes in process: a real engine, token service, SQLite store and presence hub,
// requests fed straight to the router (no sockets).

#include "presence/people_routes.hpp"

#include "auth/token_service.hpp"
#include "common/error.hpp"
#include "http/target.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/run_awaitable.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace parley::presence {
namespace {

namespace json = boost::json;

struct Reply {
  int status = 0;
  std::string subcode;
  std::string body;
  std::string location;
  json::object object() const { return json::parse(body).as_object(); }
};

class PeopleRoutes : public ::testing::Test {
protected:
  PeopleRoutes()
      : dir_(std::filesystem::temp_directory_path() /
             ("parley-people-" + std::to_string(std::random_device{}()))),
        store_((std::filesystem::create_directories(dir_), storage::open_sqlite_store(dir_ / "db"))),
        pool_(2),
        hub_(UserPresence::Timers{}),
        tokens_(*store_, pool_, WebTicketConfig{}),
        policies_(*store_, config_),
        engine_(context()) {
    engine_.register_routes(routers_);
    register_people_routes(engine_, routers_);
    storage::UserProfile bob;
    bob.display_name = "Bob Builder";
    bob.email = "bob@example.org";
    store_->create_user("alice@example.org", {}, true, "");
    store_->create_user("bob@example.org", bob, true, "");
    store_->create_user("bobby@example.org", {}, true, "");
    http::Request req;
    token_ = testing::run_awaitable(tokens_.issue("alice@example.org", req, "password")).access_token;
    auto r = call("POST", "/ucwa/oauth/v1/applications",
                  R"({"UserAgent":"test","EndpointId":"e1","Culture":"en-US"})");
    EXPECT_EQ(r.status, 201) << r.body;
    base_ = r.location;
  }
  ~PeopleRoutes() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  api::EngineContext context() {
    config_.ucwa.max_presence_subscriptions = 2;
    config_.ucwa.max_subscribed_contacts = 3;
    api::EngineContext c;
    c.config = &config_;
    c.store = store_.get();
    c.pool = &pool_;
    c.tokens = &tokens_;
    c.presence = &hub_;
    c.policies = &policies_;
    return c;
  }

  Reply call(const std::string& method, const std::string& target, std::string body = {}) {
    http::Request req;
    req.method = method;
    req.target = target;
    auto parsed = http::parse_target(target);
    req.path = parsed.path;
    req.query = parsed.query;
    req.segments = parsed.segments;
    req.headers.add("Authorization", "Bearer " + token_);
    if (!body.empty()) req.headers.add("Content-Type", "application/json");
    req.body = std::move(body);
    req.secure = true;
    Reply out;
    const auto m = routers_.external.match(req);
    if (!m.handler) {
      out.status = m.status;
      return out;
    }
    try {
      auto res = testing::run_awaitable((*m.handler)(req));
      out.status = res.status;
      out.body = res.body;
      out.location = std::string(res.headers.get("Location"));
    } catch (const ApiError& e) {
      out.status = e.status();
      out.subcode = e.subcode();
    }
    return out;
  }
  Reply app(const std::string& method, const std::string& suffix, std::string body = {}) {
    return call(method, base_ + suffix, std::move(body));
  }
  // The next event package of the application.
  std::string events() { return app("GET", "/events?ack=" + std::to_string(ack_++)).body; }

  std::filesystem::path dir_;
  Config config_;
  std::unique_ptr<storage::Store> store_;
  runtime::BlockingPool pool_;
  Hub hub_;
  auth::TokenService tokens_;
  policy::PolicyService policies_;
  api::Engine engine_;
  http::SiteRouters routers_;
  std::string token_;
  std::string base_;
  int ack_ = 1;
};

TEST_F(PeopleRoutes, SearchLimitsAndReportsMore) {
  auto r = app("GET", "/people/search?query=bob&limit=1");
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.object();
  EXPECT_EQ(o.at("moreResultsAvailable"), true);
  EXPECT_EQ(o.at("_embedded").as_object().at("contact").as_array().size(), 1u);

  o = app("GET", "/people/search?query=bobby").object();
  EXPECT_EQ(o.at("moreResultsAvailable"), false);
  EXPECT_EQ(o.at("_embedded").as_object().at("contact").as_array().at(0).as_object().at("uri"),
            "sip:bobby@example.org");

  EXPECT_EQ(app("GET", "/people/search").subcode, "ParameterValidationFailure");
  EXPECT_EQ(app("GET", "/people/search?query=").status, 400);
  EXPECT_EQ(app("GET", "/people/search?query=bob&limit=0").status, 400);
  EXPECT_EQ(app("GET", "/people/search?query=bob&limit=101").status, 400);
  EXPECT_EQ(app("GET", "/people/search?query=" + std::string(257, 'a')).status, 400);
}

TEST_F(PeopleRoutes, ContactByEitherAddressForm) {
  auto r = app("GET", "/people/sip:BOB@example.org");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.object().at("name"), "Bob Builder");
  EXPECT_EQ(app("GET", "/people/bob@example.org").status, 200);
  EXPECT_EQ(app("GET", "/people/nobody@example.org").status, 404);
  auto p = app("GET", "/people/bob@example.org/presence").object();
  EXPECT_EQ(p.at("availability"), "Offline");
  EXPECT_TRUE(app("GET", "/people/bob@example.org/supportedModalities")
                  .object().at("modalities").as_array().empty());
  EXPECT_EQ(app("GET", "/people").object().at("rel"), "people");
}

TEST_F(PeopleRoutes, ContactListChangesReachSubscribedApplications) {
  ASSERT_EQ(app("POST", "/people/contactsAndGroupsSubscription").status, 204);
  EXPECT_EQ(app("GET", "/people/contactsAndGroupsSubscription").object().at("state"), "Active");
  EXPECT_EQ(app("POST", "/people/groupMemberships?contactUri=sip:bob@example.org").status, 204);
  EXPECT_EQ(app("POST", "/people/groupMemberships?contactUri=carol@partner.example").status, 204);
  EXPECT_EQ(app("POST", "/people/groupMemberships?contactUri=not-an-address").subcode,
            "ParameterValidationFailure");

  auto contacts = app("GET", "/people/contacts").object();
  const auto& list = contacts.at("_embedded").as_object().at("contact").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list.at(0).as_object().at("sourceNetwork"), "SameEnterprise");
  EXPECT_EQ(list.at(1).as_object().at("sourceNetwork"), "Federated");
  // A federated contact exists for its owner because it is in her list.
  EXPECT_EQ(app("GET", "/people/carol@partner.example").status, 200);

  const auto package = events();
  EXPECT_NE(package.find("\"groupMembership\""), std::string::npos) << package;
  EXPECT_NE(package.find("\"added\""), std::string::npos) << package;

  auto g = app("POST", "/people/groups", R"({"name":"Team"})");
  ASSERT_EQ(g.status, 201);
  EXPECT_EQ(g.object().at("rel"), "group");
  EXPECT_EQ(g.location, base_ + "/people/groups/" + std::string(g.object().at("id").as_string()));
  auto groups = app("GET", "/people/groups").object();
  EXPECT_EQ(groups.at("_embedded").as_object().at("group").as_array().size(), 1u);

  EXPECT_EQ(app("POST", "/people/removeContactFromAllGroups?contactUri=sip:bob@example.org").status,
            204);
  contacts = app("GET", "/people/contacts").object();
  EXPECT_EQ(contacts.at("_embedded").as_object().at("contact").as_array().size(), 1u);
}

TEST_F(PeopleRoutes, PresenceSubscriptionNotifiesAndIsLimited) {
  auto r = app("POST", "/people/presenceSubscriptions",
               R"({"duration":10,"uris":["sip:bob@example.org"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto id = std::string(r.object().at("id").as_string());
  EXPECT_EQ(r.location, base_ + "/people/presenceSubscriptions/" + id);
  auto package = events();
  EXPECT_NE(package.find("contactPresence"), std::string::npos) << package;

  hub_.set_note("bob@example.org", "at lunch");
  package = events();
  EXPECT_NE(package.find("contactNote"), std::string::npos) << package;
  EXPECT_NE(package.find("at lunch"), std::string::npos) << package;

  EXPECT_EQ(app("POST", "/people/presenceSubscriptions", R"({"uris":["bob@example.org"]})").subcode,
            "ParameterValidationFailure");
  EXPECT_EQ(app("POST", "/people/presenceSubscriptions/" + id + "/memberships",
                R"({"uris":["sip:a@example.org","sip:b@example.org","sip:c@example.org"]})")
                .subcode,
            "LimitExceeded");
  EXPECT_EQ(app("POST", "/people/presenceSubscriptions", "{}").status, 201);
  auto third = app("POST", "/people/presenceSubscriptions", "{}");
  EXPECT_EQ(third.status, 403);
  EXPECT_EQ(third.subcode, "LimitExceeded");

  auto subscribed = app("GET", "/people/subscribedContacts").object();
  EXPECT_EQ(subscribed.at("_embedded").as_object().at("contact").as_array().size(), 1u);

  EXPECT_EQ(app("DELETE", "/people/presenceSubscriptions/" + id).status, 204);
  EXPECT_EQ(app("GET", "/people/presenceSubscriptions/" + id).status, 404);
  EXPECT_EQ(hub_.watcher_count("bob@example.org"), 0u);
}

}  // namespace
}  // namespace parley::presence
