// `{app}/communication/conversationLogs...` and `{app}/communication/missedItems` (UCWA.md §5.8).
// Store calls run on the blocking pool. Every lookup is by (owner, conversation): an entry the
// owner does not have, or has deleted, does not exist for her, whoever else took part.

#include "im/history_routes.hpp"

#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "http/target.hpp"
#include "im/history_json.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace parley::im {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Application;
using Awaitable = asio::awaitable<http::Response>;
using storage::ConversationLogRecord;
using storage::MessageRecord;
using storage::Store;

constexpr const char* kLogs = "/communication/conversationLogs";
constexpr const char* kLog = "/communication/conversationLogs/{c}";

struct History {
  api::Engine* engine = nullptr;
  ContinueMessaging continue_messaging;

  Store& store() const { return *engine->context().store; }
  runtime::BlockingPool& pool() const { return *engine->context().pool; }
  bool can_continue() const { return static_cast<bool>(continue_messaging); }
};
using HistoryPtr = std::shared_ptr<History>;

http::Response ok(const json::object& o) { return http::Response::json(200, json::serialize(o)); }

// Query parameter names match case-insensitively, like body property names (UCWA.md §0).
std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  for (auto& [k, v] : http::parse_query(query))
    if (iequals(k, name)) return std::move(v);
  return std::nullopt;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t n = 0;
  const auto* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, n);
  if (s.empty() || ec != std::errc{} || p != end) return std::nullopt;
  return n;
}

std::size_t page_limit(const http::Request& req) {
  const auto text = query_value(req.query, "limit");
  if (!text) return kDefaultHistoryPage;
  const auto n = parse_int(*text);
  if (!n || *n < 1 || *n > static_cast<std::int64_t>(kMaxHistoryPage))
    throw ParameterValidationFailure("limit must be a number from 1 to " +
                                     std::to_string(kMaxHistoryPage));
  return static_cast<std::size_t>(*n);
}

std::optional<Store::LogCursor> before_cursor(const http::Request& req) {
  const auto text = query_value(req.query, "before");
  if (!text) return std::nullopt;
  auto cursor = decode_log_cursor(*text);
  if (!cursor) throw ParameterValidationFailure("before is not a cursor this server gave out");
  return cursor;
}

std::int64_t after_seq(const http::Request& req) {
  const auto text = query_value(req.query, "after");
  if (!text) return 0;
  const auto n = parse_int(*text);
  if (!n || *n < 0) throw ParameterValidationFailure("after must be a message number");
  return *n;
}

// The owner's entry for the path's conversation, or 404.
asio::awaitable<ConversationLogRecord> owned_log(HistoryPtr h, std::string owner,
                                                 std::string conversation_id) {
  Store* store = &h->store();
  auto job = [store, owner, conversation_id] {
    return store->find_conversation_log(owner, conversation_id);
  };
  auto log = co_await h->pool().store(job);
  if (!log) throw NotFound("no such conversation log");
  co_return std::move(*log);
}

Awaitable list_logs(HistoryPtr h, http::Request& req, Application& app) {
  const std::size_t limit = page_limit(req);
  const auto before = before_cursor(req);
  Store* store = &h->store();
  std::string owner = app.owner();
  // One more than asked tells whether a next page exists.
  auto job = [store, owner, before, limit] {
    return store->list_conversation_logs(owner, before, limit + 1);
  };
  auto page = co_await h->pool().store(job);
  const bool more = page.size() > limit;
  if (more) page.resize(limit);
  co_return ok(conversation_logs_json(app.base(), page, limit, before, more, h->can_continue()));
}

Awaitable get_log(HistoryPtr h, http::Request& req, Application& app) {
  std::string id = req.params["c"];
  auto find = owned_log(h, app.owner(), std::move(id));
  auto log = co_await std::move(find);
  co_return ok(conversation_log_json(app.base(), log, h->can_continue()));
}

Awaitable list_transcripts(HistoryPtr h, http::Request& req, Application& app) {
  const std::size_t limit = page_limit(req);
  const std::int64_t after = after_seq(req);
  std::string id = req.params["c"];
  // Only someone with an entry for the conversation may read what was said in it.
  auto find = owned_log(h, app.owner(), id);
  auto log = co_await std::move(find);
  // ...and only what was said after she joined.
  const std::int64_t from = std::max(after, log.first_seq - 1);
  Store* store = &h->store();
  auto job = [store, id, from, limit] { return store->list_messages(id, from, limit + 1); };
  auto page = co_await h->pool().store(job);
  const bool more = page.size() > limit;
  if (more) page.resize(limit);
  co_return ok(transcripts_json(app.base(), app.owner(), log.conversation_id, page, limit, after,
                                more));
}

Awaitable mark_read(HistoryPtr h, http::Request& req, Application& app) {
  Store* store = &h->store();
  std::string owner = app.owner();
  std::string id = req.params["c"];
  auto job = [store, owner, id] { return store->mark_log_read(owner, id); };
  const bool found = co_await h->pool().store(job);
  if (!found) throw NotFound("no such conversation log");
  auto announce = announce_missed_items(*h->engine, owner);
  co_await std::move(announce);
  co_return http::Response::empty(204);
}

Awaitable delete_log(HistoryPtr h, http::Request& req, Application& app) {
  Store* store = &h->store();
  std::string owner = app.owner();
  std::string id = req.params["c"];
  auto job = [store, owner, id] { return store->delete_conversation_log(owner, id); };
  const bool found = co_await h->pool().store(job);
  if (!found) throw NotFound("no such conversation log");
  // The counts include the entry that went.
  auto announce = announce_missed_items(*h->engine, owner);
  co_await std::move(announce);
  co_return http::Response::empty(204);
}

Awaitable continue_log(HistoryPtr h, http::Request& req, Application& app) {
  std::string id = req.params["c"];
  auto find = owned_log(h, app.owner(), std::move(id));
  auto log = co_await std::move(find);
  // The hook may keep `log` by reference: it lives in this frame until the hook returns.
  auto resume = h->continue_messaging(req, app, log);
  co_return co_await std::move(resume);
}

Awaitable missed_items(HistoryPtr h, http::Request&, Application& app) {
  Store* store = &h->store();
  std::string owner = app.owner();
  auto job = [store, owner] { return store->missed_counts(owner); };
  const auto counts = co_await h->pool().store(job);
  co_return ok(missed_items_json(app.base(), counts));
}

events::Event missed_items_event(const Application& app, const storage::MissedCounts& counts) {
  events::Event e;
  e.sender = {"communication", app.href("/communication"), ""};
  e.link = {"missedItems", missed_items_href(app.base()), ""};
  e.type = events::EventType::updated;
  e.priority = events::Priority::high;
  e.embedded = missed_items_json(app.base(), counts);
  return e;
}

}  // namespace

void register_history_routes(api::Engine& engine, http::SiteRouters& routers,
                             ContinueMessaging continue_messaging) {
  auto h = std::make_shared<History>();
  h->engine = &engine;
  h->continue_messaging = std::move(continue_messaging);

  // The request and application outlive the coroutine (the engine awaits it); the History is
  // shared by every handler.
  auto route = [&](std::string_view method, const std::string& suffix,
                   Awaitable (*fn)(HistoryPtr, http::Request&, Application&)) {
    engine.add_route(routers, method, suffix,
                     [h, fn](http::Request& req, Application& app) { return fn(h, req, app); });
  };
  route("GET", kLogs, list_logs);
  route("GET", kLog, get_log);
  route("DELETE", kLog, delete_log);
  route("GET", std::string(kLog) + "/transcripts", list_transcripts);
  route("POST", std::string(kLog) + "/markAsRead", mark_read);
  if (h->can_continue()) route("POST", std::string(kLog) + "/continueMessaging", continue_log);
  route("GET", "/communication/missedItems", missed_items);
}

asio::awaitable<void> announce_missed_items(api::Engine& engine, std::string user) {
  Store* store = engine.context().store;
  auto job = [store, user] { return store->missed_counts(user); };
  const auto counts = co_await engine.context().pool->store(job);
  for (const auto& app : engine.applications_of(user)) app->push(missed_items_event(*app, counts));
}

void announce_missed_items_later(api::Engine& engine, std::string user) {
  const auto executor = engine.executor();
  if (!executor) return;
  asio::co_spawn(executor, announce_missed_items(engine, std::move(user)),
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     logger("im")->warn("could not announce missed items: {}", ex.what());
                   }
                 });
}

}  // namespace parley::im
