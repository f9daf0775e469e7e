// The history routes in process: a real engine, token service and SQLite store seeded with
// conversations, requests fed straight to the router (no sockets).

#include "im/history_routes.hpp"

#include "auth/token_service.hpp"
#include "common/error.hpp"
#include "http/target.hpp"
#include "im/history_json.hpp"
#include "storage/sqlite/sqlite_store.hpp"
#include "support/run_awaitable.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace parley::im {
namespace {

namespace json = boost::json;

struct Reply {
  int status = 0;
  std::string subcode;
  std::string body;
  json::object object() const { return json::parse(body).as_object(); }
};

std::string href_of(const json::object& o, const char* rel) {
  return std::string(o.at("_links").as_object().at(rel).as_object().at("href").as_string());
}
const json::array& embedded(const json::object& o, const char* rel) {
  return o.at("_embedded").as_object().at(rel).as_array();
}

class HistoryRoutes : public ::testing::Test {
protected:
  HistoryRoutes()
      : dir_(std::filesystem::temp_directory_path() /
             ("parley-history-" + std::to_string(std::random_device{}()))),
        store_((std::filesystem::create_directories(dir_),
                storage::open_sqlite_store(dir_ / "db"))),
        pool_(2),
        hub_(presence::UserPresence::Timers{}),
        tokens_(*store_, pool_, WebTicketConfig{}),
        policies_(*store_, config_),
        engine_(context()) {
    engine_.register_routes(routers_);
    register_history_routes(engine_, routers_);
    // The same module with messaging behind it, on routers of its own.
    engine_.register_routes(with_messaging_);
    register_history_routes(
        engine_, with_messaging_,
        [this](http::Request&, api::Application& app, const storage::ConversationLogRecord& log)
            -> boost::asio::awaitable<http::Response> {
          continued_ = app.owner() + " " + log.conversation_id;
          co_return http::Response::empty(201);
        });
    for (const char* u : {"alice@example.org", "bob@example.org", "carol@example.org"})
      store_->create_user(u, {}, true, "");
    http::Request req;
    token_ =
        testing::run_awaitable(tokens_.issue("alice@example.org", req, "password")).access_token;
    base_ = create_app("e1");
    seed();
  }
  ~HistoryRoutes() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  api::EngineContext context() {
    // A missing event ends a P-GET in about two seconds instead of three minutes.
    config_.ucwa.time_scale = 100;
    api::EngineContext c;
    c.config = &config_;
    c.store = store_.get();
    c.pool = &pool_;
    c.tokens = &tokens_;
    c.presence = &hub_;
    c.policies = &policies_;
    return c;
  }

  // c1: alice -> bob (older), c2: bob -> alice (newer), c3: bob -> carol (not alice's).
  void seed() {
    auto conversation = [&](const char* id, const char* from, const char* to, std::int64_t at) {
      storage::ConversationRecord c;
      c.id = id;
      c.thread_id = std::string("thread-") + id;
      c.subject = std::string("about ") + id;
      c.initiator = from;
      c.created_at_ms = at;
      store_->create_conversation(c, {from, to});
    };
    conversation("c1", "alice@example.org", "bob@example.org", 1000);
    conversation("c2", "bob@example.org", "alice@example.org", 2000);
    conversation("c3", "bob@example.org", "carol@example.org", 3000);
    auto msg = [](const char* c, const char* sender, std::int64_t at, const char* text) {
      storage::MessageRecord m;
      m.conversation_id = c;
      m.sender = sender;
      m.at_ms = at;
      m.format = "Plain";
      m.text = text;
      m.plain = text;
      return m;
    };
    store_->append_messages({msg("c1", "alice@example.org", 1100, "hello bob"),
                             msg("c1", "bob@example.org", 1200, "hi alice"),
                             msg("c1", "alice@example.org", 1300, "lunch?"),
                             msg("c2", "bob@example.org", 2100, "ping"),
                             msg("c3", "bob@example.org", 3100, "secret")});
  }

  std::string create_app(const std::string& endpoint) {
    auto r = call(routers_, "POST", "/ucwa/oauth/v1/applications",
                  R"({"UserAgent":"test","EndpointId":")" + endpoint + R"(","Culture":"en-US"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return location_;
  }

  Reply call(const http::SiteRouters& routers, const std::string& method, const std::string& target,
             std::string body = {}) {
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
    const auto m = routers.external.match(req);
    if (!m.handler) {
      out.status = m.status;
      return out;
    }
    try {
      auto res = testing::run_awaitable((*m.handler)(req));
      out.status = res.status;
      out.body = res.body;
      location_ = std::string(res.headers.get("Location"));
    } catch (const ApiError& e) {
      out.status = e.status();
      out.subcode = e.subcode();
    }
    return out;
  }
  Reply app(const std::string& method, const std::string& suffix) {
    return call(routers_, method, base_ + suffix);
  }
  // The next event package of an application (there must be something to send).
  std::string events(const std::string& base, int ack) {
    return call(routers_, "GET", base + "/events?ack=" + std::to_string(ack)).body;
  }

  std::filesystem::path dir_;
  Config config_;
  std::unique_ptr<storage::Store> store_;
  runtime::BlockingPool pool_;
  presence::Hub hub_;
  auth::TokenService tokens_;
  policy::PolicyService policies_;
  api::Engine engine_;
  http::SiteRouters routers_;
  http::SiteRouters with_messaging_;
  std::string token_;
  std::string base_;
  std::string location_;
  std::string continued_;
};

const std::string kLogs = "/communication/conversationLogs";

TEST_F(HistoryRoutes, ListsOwnHistoryNewestFirstAcrossPages) {
  auto r = app("GET", kLogs + "?limit=1");
  ASSERT_EQ(r.status, 200) << r.body;
  auto page = r.object();
  EXPECT_EQ(page.at("rel"), "conversationLogs");
  ASSERT_EQ(embedded(page, "conversationLog").size(), 1u);
  const auto& newest = embedded(page, "conversationLog").at(0).as_object();
  EXPECT_EQ(newest.at("threadId"), "thread-c2");
  EXPECT_EQ(newest.at("direction"), "Incoming");
  EXPECT_EQ(newest.at("previewMessage"), "ping");
  EXPECT_EQ(newest.at("isRead"), false);

  const auto next = href_of(page, "next");
  ASSERT_EQ(next.rfind(base_, 0), 0u) << next;
  r = call(routers_, "GET", next);
  ASSERT_EQ(r.status, 200) << r.body;
  page = r.object();
  ASSERT_EQ(embedded(page, "conversationLog").size(), 1u);
  const auto& older = embedded(page, "conversationLog").at(0).as_object();
  EXPECT_EQ(older.at("threadId"), "thread-c1");
  EXPECT_EQ(older.at("direction"), "Outgoing");
  EXPECT_EQ(older.at("previewMessage"), "lunch?");
  // Bob's conversation with Carol is not Alice's history.
  EXPECT_FALSE(page.at("_links").as_object().contains("next"));

  // Default page size holds both.
  EXPECT_EQ(embedded(app("GET", kLogs).object(), "conversationLog").size(), 2u);
}

TEST_F(HistoryRoutes, RejectsBadPagingParameters) {
  EXPECT_EQ(app("GET", kLogs + "?limit=0").subcode, "ParameterValidationFailure");
  EXPECT_EQ(app("GET", kLogs + "?limit=101").subcode, "ParameterValidationFailure");
  EXPECT_EQ(app("GET", kLogs + "?limit=ten").subcode, "ParameterValidationFailure");
  EXPECT_EQ(app("GET", kLogs + "?before=garbage!").subcode, "ParameterValidationFailure");
  EXPECT_EQ(app("GET", kLogs + "/c1/transcripts?after=-1").subcode, "ParameterValidationFailure");
  EXPECT_EQ(app("GET", kLogs + "/c1/transcripts?limit=500").subcode, "ParameterValidationFailure");
  EXPECT_EQ(app("GET", kLogs + "?LIMIT=100").status, 200);
}

TEST_F(HistoryRoutes, OneEntryOnlyForItsParticipant) {
  auto r = app("GET", kLogs + "/c1");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = r.object();
  EXPECT_EQ(o.at("subject"), "about c1");
  EXPECT_EQ(href_of(o, "self"), base_ + kLogs + "/c1");
  const auto& recipients = o.at("_links").as_object().at("conversationLogRecipient").as_array();
  ASSERT_EQ(recipients.size(), 1u);
  EXPECT_EQ(recipients.at(0).as_object().at("title"), "bob@example.org");
  // Without messaging there is no way to continue, and no link promising one.
  EXPECT_FALSE(o.at("_links").as_object().contains("continueMessaging"));
  EXPECT_EQ(app("POST", kLogs + "/c1/continueMessaging").status, 404);

  EXPECT_EQ(app("GET", kLogs + "/c3").status, 404);
  EXPECT_EQ(app("GET", kLogs + "/c3/transcripts").status, 404);
  EXPECT_EQ(app("POST", kLogs + "/c3/markAsRead").status, 404);
  EXPECT_EQ(app("DELETE", kLogs + "/c3").status, 404);
  EXPECT_EQ(app("GET", kLogs + "/nope").status, 404);
}

TEST_F(HistoryRoutes, TranscriptsOldestFirstInPages) {
  auto r = app("GET", kLogs + "/c1/transcripts?limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  auto page = r.object();
  const auto& items = embedded(page, "conversationLogTranscript");
  ASSERT_EQ(items.size(), 2u);
  const auto& first = items.at(0).as_object();
  EXPECT_EQ(first.at("timeStamp"), "/Date(1100)/");
  EXPECT_EQ(href_of(first, "me"), base_ + "/me");
  const auto& content = first.at("_embedded").as_object().at("messageTranscript").as_object();
  EXPECT_EQ(href_of(content, "plainMessage"), "data:text/plain;charset=utf-8,hello+bob");
  EXPECT_EQ(href_of(items.at(1).as_object(), "contact"), base_ + "/people/bob@example.org");

  r = call(routers_, "GET", href_of(page, "nextConversationLogTranscripts"));
  ASSERT_EQ(r.status, 200) << r.body;
  page = r.object();
  ASSERT_EQ(embedded(page, "conversationLogTranscript").size(), 1u);
  EXPECT_EQ(embedded(page, "conversationLogTranscript").at(0).as_object().at("timeStamp"),
            "/Date(1300)/");
  EXPECT_FALSE(page.at("_links").as_object().contains("nextConversationLogTranscripts"));
}

TEST_F(HistoryRoutes, MarkAsReadTellsEveryDeviceTheNewCounts) {
  const std::string second = create_app("e2");
  store_->mark_missed("alice@example.org", "c2");

  auto counts = app("GET", "/communication/missedItems").object();
  EXPECT_EQ(counts.at("rel"), "missedItems");
  EXPECT_EQ(counts.at("missedConversationsCount"), 1);
  EXPECT_EQ(counts.at("unreadMissedConversationsCount"), 1);
  EXPECT_EQ(counts.at("conversationLogsCount"), 2);
  EXPECT_EQ(counts.at("voiceMailsCount"), 0);

  EXPECT_EQ(app("POST", kLogs + "/c2/markAsRead").status, 204);
  for (const auto& base : {base_, second}) {
    const auto package = events(base, 1);
    EXPECT_NE(package.find("\"missedItems\""), std::string::npos) << package;
    EXPECT_NE(package.find("\"unreadMissedConversationsCount\":0"), std::string::npos) << package;
  }
  auto entry = app("GET", kLogs + "/c2").object();
  EXPECT_EQ(entry.at("isRead"), true);
  EXPECT_EQ(entry.at("status"), "Missed");
  counts = app("GET", "/communication/missedItems").object();
  EXPECT_EQ(counts.at("missedConversationsCount"), 1);
  EXPECT_EQ(counts.at("unreadMissedConversationsCount"), 0);
}

TEST_F(HistoryRoutes, DeleteHidesTheEntryForItsOwnerOnly) {
  EXPECT_EQ(app("DELETE", kLogs + "/c1").status, 204);
  EXPECT_EQ(app("GET", kLogs + "/c1").status, 404);
  EXPECT_EQ(app("GET", kLogs + "/c1/transcripts").status, 404);
  EXPECT_EQ(app("DELETE", kLogs + "/c1").status, 404);
  const auto list = app("GET", kLogs).object();
  ASSERT_EQ(embedded(list, "conversationLog").size(), 1u);
  EXPECT_EQ(embedded(list, "conversationLog").at(0).as_object().at("threadId"), "thread-c2");
  EXPECT_EQ(app("GET", "/communication/missedItems").object().at("conversationLogsCount"), 1);
  const auto package = events(base_, 1);
  EXPECT_NE(package.find("\"conversationLogsCount\":1"), std::string::npos) << package;
  // Bob keeps his.
  EXPECT_TRUE(store_->find_conversation_log("bob@example.org", "c1"));
}

TEST_F(HistoryRoutes, ContinueMessagingHandsTheEntryToMessaging) {
  auto r = call(with_messaging_, "GET", base_ + kLogs + "/c1");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto link = href_of(r.object(), "continueMessaging");
  EXPECT_EQ(link, base_ + kLogs + "/c1/continueMessaging");
  EXPECT_EQ(call(with_messaging_, "POST", link).status, 201);
  EXPECT_EQ(continued_, "alice@example.org c1");
  continued_.clear();
  EXPECT_EQ(call(with_messaging_, "POST", base_ + kLogs + "/c3/continueMessaging").status, 404);
  EXPECT_TRUE(continued_.empty());
}

TEST_F(HistoryRoutes, AnnounceReachesEveryApplicationOfTheUser) {
  const std::string second = create_app("e2");
  store_->mark_missed("alice@example.org", "c1");
  testing::run_awaitable([this]() -> boost::asio::awaitable<int> {
    auto announce = announce_missed_items(engine_, "alice@example.org");
    co_await std::move(announce);
    co_return 0;
  }());
  for (const auto& base : {base_, second}) {
    const auto package = events(base, 1);
    EXPECT_NE(package.find("\"missedConversationsCount\":1"), std::string::npos) << package;
  }
}

}  // namespace
}  // namespace parley::im
