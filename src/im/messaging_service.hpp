#pragma once
// The messaging service behind im/messaging.hpp, shared by its two halves: messaging.cpp
// (invitations, messages, ringing and leaving) and messaging_routes.cpp (the route table).
// Internal to parley_im.

#include "im/messaging.hpp"

#include "api/application_state.hpp"
#include "common/crypto.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/text.hpp"
#include "http/target.hpp"
#include "im/conversation.hpp"
#include "im/history_routes.hpp"
#include "im/message_writer.hpp"
#include "im/tombstones.hpp"
#include "proto/ucwa/body.hpp"
#include "proto/ucwa/message_content.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

namespace parley::im {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Application;
using events::EventType;
using events::Priority;

namespace detail {

inline constexpr std::size_t kMaxSubject = 250;     // UCWA.md §7
inline constexpr std::size_t kMaxOperationId = 50;  // UCWA.md §7
inline constexpr std::size_t kMaxThreadId = 64;

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}


inline json::object link(std::string href) { return json::object{{"href", std::move(href)}}; }

// "bob@example.org" from "sip:Bob@Example.org"; nullopt for anything that is not an address.
inline std::optional<std::string> address_of(std::string_view uri) {
  std::string s = lower(trim(uri));
  if (s.starts_with("sip:")) s.erase(0, 4);
  const auto at = s.find('@');
  if (s.empty() || s.size() > 256 || at == 0 || at == std::string::npos || at != s.rfind('@') ||
      !is_dns_name(s.substr(at + 1)))
    return std::nullopt;
  for (char c : s.substr(0, at))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
          c == '+' || c == '\''))
      return std::nullopt;
  return s;
}

inline json::object reason(std::string_view code, std::string_view subcode, std::string_view message) {
  return json::object{{"code", code}, {"subcode", subcode}, {"message", message}};
}

}  // namespace detail

using detail::address_of;
using detail::link;
using detail::now_ms;
using detail::reason;
using detail::kMaxOperationId;
using detail::kMaxSubject;
using detail::kMaxThreadId;

class MessagingService : public std::enable_shared_from_this<MessagingService> {
public:
  MessagingService(api::Engine& engine, MessagingLimits limits)
      : engine_(engine), ctx_(engine.context()), limits_(limits),
        writer_(*engine.context().store) {}

  void register_routes(http::SiteRouters& routers);

private:
  using Awaitable = asio::awaitable<http::Response>;
  using ConvPtr = std::shared_ptr<Conversation>;

  // ---- events ----
  static events::Event event(events::Link sender, events::Link target, EventType type,
                             Priority priority, json::object embedded) {
    events::Event e;
    e.sender = std::move(sender);
    e.link = std::move(target);
    e.type = type;
    e.priority = priority;
    e.embedded = std::move(embedded);
    return e;
  }
  events::Link communication(const Application& app) const {
    return {"communication", app.href("/communication"), ""};
  }
  events::Link conversation_sender(const Application& app, const Conversation& c) const {
    return {"conversation", conv_href(app, c), ""};
  }

  std::shared_ptr<Application> app_of(const std::string& id) const { return engine_.find(id); }

  // ---- lookups ----
  ConvPtr find_conversation(std::string_view id) const {
    std::shared_lock lock(index_mutex_);
    auto it = conversations_.find(std::string(id));
    return it == conversations_.end() ? nullptr : it->second;
  }
  ConvPtr find_invitation(std::string_view id) const {
    std::shared_lock lock(index_mutex_);
    auto it = invitation_index_.find(std::string(id));
    if (it == invitation_index_.end()) return nullptr;
    auto c = conversations_.find(it->second);
    return c == conversations_.end() ? nullptr : c->second;
  }
  void index(const ConvPtr& c) {
    std::unique_lock lock(index_mutex_);
    conversations_[c->id] = c;
  }
  void index_invitation(const std::string& inv, const std::string& conv) {
    std::unique_lock lock(index_mutex_);
    invitation_index_[inv] = conv;
  }
  void unindex_invitation(const std::string& inv) {
    std::unique_lock lock(index_mutex_);
    invitation_index_.erase(inv);
  }
  void unindex(const Conversation& c) {
    std::unique_lock lock(index_mutex_);
    conversations_.erase(c.id);
    for (const auto& [id, inv] : c.invitations) invitation_index_.erase(id);
  }

  // The conversation, if `app` is in it (bound). One that ended (or that `app` left) answers 410
  // to the endpoints that were in it; to anyone else it does not exist (404).
  ConvPtr member_conversation(const Application& app, std::string_view id) const {
    auto c = find_conversation(id);
    if (!c) missing_conversation(app, id);
    std::lock_guard lock(c->mutex);
    auto it = c->members.find(app.owner());
    if (it == c->members.end() || it->second.app_id != app.id()) missing_conversation(app, id);
    return c;
  }
  [[noreturn]] void missing_conversation(const Application& app, std::string_view id) const {
    bool ended = tombstones_.ended_for(id, app.id());
    for (const auto& h : hosts_) ended = ended || h->ended_for(app, id);
    if (ended)
      throw Gone("the conversation has ended; start a new one", "ConversationEnded");
    throw NotFound("no such conversation");
  }
  [[noreturn]] void missing_invitation(const Application& app, std::string_view id) const {
    if (tombstones_.ended_for(id, app.id()))
      throw Gone("the invitation has already ended (answered, declined, cancelled or timed out)",
                 "InvitationEnded");
    throw NotFound("no such invitation");
  }

  // Endpoints of `user` that can be rung: made available, with Messaging (or no list at all).
  std::vector<std::shared_ptr<Application>> ringable(std::string_view user) const {
    std::vector<std::shared_ptr<Application>> out;
    for (auto& app : engine_.applications_of(user)) {
      auto& p = app->state();
      std::lock_guard lock(p.mutex);
      if (!p.available) continue;
      const auto& m = p.availability.modalities;
      if (m.empty() || std::find(m.begin(), m.end(), "Messaging") != m.end()) out.push_back(app);
    }
    return out;
  }
  bool supports_html(const Application& app) const {
    auto& p = app.state();
    std::lock_guard lock(p.mutex);
    const auto& f = p.availability.message_formats;
    return std::find(f.begin(), f.end(), "Html") != f.end();
  }

  // ---- operations (conversation mutex held where named *_locked) ----
  void ring_locked(Conversation& c, Invitation& inv);
  void end_invitation_locked(Conversation& c, const std::string& inv_id, std::string_view outcome);
  void leave_locked(Conversation& c, const std::string& user, bool announce_self);
  void end_conversation_locked(Conversation& c);
  void missed(const std::string& user, const std::string& conversation_id);
  // Retention: deletes what is older than retention_days.
  static asio::awaitable<void> purge(std::shared_ptr<MessagingService> self) {
    storage::Store* store = self->ctx_.store;
    const std::int64_t before = now_ms() - std::int64_t{self->limits_.retention_days} * 86400000;
    auto job = [store, before] { return store->purge_messages_before(before); };
    const auto purged = co_await self->ctx_.pool->store(job);
    if (purged > 0) logger("im")->info("retention: {} message(s) older than {} days deleted", purged,
                                       self->limits_.retention_days);
  }
  static asio::awaitable<void> record_missed(std::shared_ptr<MessagingService> self,
                                             std::string user, std::string conversation_id);
  void tick();
  void reset(Application& app);

public:
  Awaitable start_messaging(http::Request& req, Application& app);
  void add_host(std::shared_ptr<ConversationHost> host) { hosts_.push_back(std::move(host)); }

private:
  Awaitable accept(http::Request& req, Application& app);
  Awaitable decline(http::Request& req, Application& app);
  Awaitable cancel(http::Request& req, Application& app);
  Awaitable send_message(http::Request& req, Application& app);
  Awaitable add_participant(http::Request& req, Application& app);

  api::Engine& engine_;
  api::EngineContext ctx_;
  MessagingLimits limits_;
  MessageWriter writer_;
  Clock::time_point last_purge_{};
  mutable std::shared_mutex index_mutex_;
  std::unordered_map<std::string, ConvPtr> conversations_;
  std::unordered_map<std::string, std::string> invitation_index_;  // invitation -> conversation
  // Ended conversations and invitations, per endpoint that took part: 410 rather than 404.
  mutable Tombstones tombstones_{100000, std::chrono::hours(1)};
  // Set up before serving, read-only after.
  std::vector<std::shared_ptr<ConversationHost>> hosts_;
};

}  // namespace parley::im
