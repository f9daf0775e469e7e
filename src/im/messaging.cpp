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

namespace {

constexpr std::size_t kMaxSubject = 250;     // UCWA.md §7
constexpr std::size_t kMaxOperationId = 50;  // UCWA.md §7
constexpr std::size_t kMaxThreadId = 64;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}


json::object link(std::string href) { return json::object{{"href", std::move(href)}}; }

// "bob@example.org" from "sip:Bob@Example.org"; nullopt for anything that is not an address.
std::optional<std::string> address_of(std::string_view uri) {
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

json::object reason(std::string_view code, std::string_view subcode, std::string_view message) {
  return json::object{{"code", code}, {"subcode", subcode}, {"message", message}};
}

}  // namespace

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
                             Priority priority, const json::object& embedded) {
    events::Event e;
    e.sender = std::move(sender);
    e.link = std::move(target);
    e.type = type;
    e.priority = priority;
    e.embedded = embedded;
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
    if (tombstones_.ended_for(id, app.id()))
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
};

// ---- ringing, answering, leaving ----------------------------------------------------------

void MessagingService::ring_locked(Conversation& c, Invitation& inv) {
  for (auto& app : ringable(inv.to)) {
    inv.ringing.insert(app->id());
    const auto comm = communication(*app);
    // Invitation-related events first, in the first sender group (UCWA.md §4 client quirks).
    app->push(event(comm, {"messagingInvitation", inv_href(*app, inv, true), ""}, EventType::started,
                    Priority::high, invitation_json(*app, c, inv, true, "Connecting")));
    app->push(event(comm, {"conversation", conv_href(*app, c), ""}, EventType::added,
                    Priority::high, conversation_json(*app, c, "Incoming")));
    app->push(event(conversation_sender(*app, c),
                    {"localParticipant", participant_href(*app, c, inv.to), ""}, EventType::added,
                    Priority::high, participant_json(*app, c, inv.to)));
    app->push(event(conversation_sender(*app, c),
                    {"participant", participant_href(*app, c, inv.from), ""}, EventType::added,
                    Priority::high, participant_json(*app, c, inv.from)));
  }
}

// Ends a pending invitation: `outcome` "accepted" (by an endpoint already bound), "declined",
// "timeout", "cancelled", "unreachable". Tells the ringing endpoints that did not answer and the
// inviter.
void MessagingService::end_invitation_locked(Conversation& c, const std::string& inv_id,
                                             std::string_view outcome) {
  auto it = c.invitations.find(inv_id);
  if (it == c.invitations.end()) return;
  Invitation inv = std::move(it->second);
  c.invitations.erase(it);
  unindex_invitation(inv_id);
  for (const auto& ringing_id : inv.ringing) tombstones_.bury(inv_id, ringing_id);
  tombstones_.bury(inv_id, inv.from_app);
  const auto bound = c.members.count(inv.to) ? c.members[inv.to].app_id : std::string();
  for (const auto& ringing_id : inv.ringing) {
    if (ringing_id == bound) continue;
    tombstones_.bury(c.id, ringing_id);  // it was shown the conversation
    auto app = app_of(ringing_id);
    if (!app) continue;
    auto e = event(communication(*app), {"messagingInvitation", inv_href(*app, inv, true), ""},
                   EventType::completed, Priority::high, invitation_json(*app, c, inv, true, "Failed"));
    e.status = "Failed";
    e.reason = outcome == "accepted"
                                   ? reason("Gone", "AnsweredElsewhere", "answered on another device")
                                   : reason("Gone", "Cancelled", "the invitation ended");
    app->push(std::move(e));
    app->push(event(communication(*app), {"conversation", conv_href(*app, c), ""}, EventType::deleted,
                    Priority::high, conversation_json(*app, c, "Disconnected")));
  }
  if (outcome == "accepted") return;
  // The inviter hears that it failed.
  if (auto from = app_of(inv.from_app)) {
    auto e = event(communication(*from), {inv.participant_invitation ? "participantInvitation"
                                                                      : "messagingInvitation",
                                          inv_href(*from, inv, false), ""},
                   EventType::completed, Priority::high, invitation_json(*from, c, inv, false, "Failed"));
    e.status = "Failed";
    e.reason = 
        outcome == "declined"      ? reason("Forbidden", "Declined", "the invitation was declined")
        : outcome == "timeout"     ? reason("Timeout", "NoAnswer", "nobody answered the invitation")
        : outcome == "unreachable" ? reason("NotFound", "TemporarilyUnavailable",
                                            "the recipient is not signed in anywhere")
                                   : reason("Gone", "Cancelled", "the invitation was cancelled");
    from->push(std::move(e));
  }
  c.members.erase(inv.to);
  if (outcome != "declined") missed(inv.to, c.id);
  // A conversation that never connected ends with its only invitation.
  if (c.state == ConvState::connecting && c.invitations.empty()) end_conversation_locked(c);
}

void MessagingService::leave_locked(Conversation& c, const std::string& user, bool announce_self) {
  auto it = c.members.find(user);
  if (it == c.members.end()) return;
  const Member member = it->second;
  c.members.erase(it);
  tombstones_.bury(c.id, member.app_id);
  if (announce_self) {
    if (auto app = app_of(member.app_id)) {
      app->push(event(conversation_sender(*app, c), {"messaging", conv_href(*app, c) + "/messaging", ""},
                      EventType::updated, Priority::high, messaging_json(*app, c, false)));
      app->push(event(communication(*app), {"conversation", conv_href(*app, c), ""}, EventType::deleted,
                      Priority::high, conversation_json(*app, c, "Disconnected")));
    }
  }
  if (!member.connected) return;
  std::size_t connected = 0;
  for (auto& [u, m] : c.members) {
    if (!m.connected) continue;
    ++connected;
    if (auto app = app_of(m.app_id)) {
      events::Event e = event(conversation_sender(*app, c),
                              {"participant", participant_href(*app, c, user), ""}, EventType::deleted,
                              Priority::high, json::object{});
      e.embedded.clear();
      e.in = events::Link{"participants", conv_href(*app, c) + "/participants", ""};
      app->push(std::move(e));
    }
  }
  // The conversation ends when its last modality goes: nobody left to talk to.
  if (connected < 2 && c.invitations.empty()) end_conversation_locked(c);
}

void MessagingService::end_conversation_locked(Conversation& c) {
  if (c.state == ConvState::ended) return;
  c.state = ConvState::ended;
  for (auto& [u, m] : c.members) {
    if (m.app_id.empty()) continue;
    tombstones_.bury(c.id, m.app_id);
    if (auto app = app_of(m.app_id)) {
      app->push(event(conversation_sender(*app, c), {"messaging", conv_href(*app, c) + "/messaging", ""},
                      EventType::updated, Priority::high, messaging_json(*app, c, false)));
      app->push(event(communication(*app), {"conversation", conv_href(*app, c), ""}, EventType::deleted,
                      Priority::high, conversation_json(*app, c, "Disconnected")));
    }
  }
  c.members.clear();
  unindex(c);
}

void MessagingService::missed(const std::string& user, const std::string& conversation_id) {
  const auto executor = engine_.executor();
  if (!executor) return;  // not serving (unit tests without a running engine)
  // Off the request path: the store call runs on the pool, then every device of the user hears
  // the new counts.
  asio::co_spawn(executor, record_missed(shared_from_this(), user, conversation_id),
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     logger("im")->warn("could not record a missed conversation: {}", ex.what());
                   }
                 });
}

asio::awaitable<void> MessagingService::record_missed(std::shared_ptr<MessagingService> self,
                                                      std::string user, std::string conversation_id) {
  storage::Store* store = self->ctx_.store;
  auto job = [store, user, conversation_id] { store->mark_missed(user, conversation_id); };
  co_await self->ctx_.pool->store(job);
  co_await announce_missed_items(self->engine_, user);
}


// ---- requests ------------------------------------------------------------------------------

asio::awaitable<http::Response> MessagingService::start_messaging(http::Request& req, Application& app) {
  const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
  std::string to_text = body.string("to", 260).value_or(http::query_param(req.query, "to"));
  const auto to = address_of(to_text);
  if (!to) throw ParameterValidationFailure("to must be a SIP URI such as sip:bob@example.org");
  if (*to == app.owner()) throw ParameterValidationFailure("a conversation needs someone else");
  const std::string subject = body.string("subject", kMaxSubject).value_or("");
  std::string importance = body.string("importance", 16).value_or("Normal");
  if (iequals(importance, "normal")) importance = "Normal";
  else if (iequals(importance, "urgent")) importance = "Urgent";
  else if (iequals(importance, "emergency")) importance = "Emergency";
  else throw ParameterValidationFailure("importance must be Normal, Urgent or Emergency");
  const std::string operation_id = body.string("operationId", kMaxOperationId).value_or("");
  std::string thread_id = body.string("threadId", kMaxThreadId).value_or("");
  if (thread_id.empty()) thread_id = random_token(12);
  // The first message travels as a data URI (UCWA.md §5.4).
  std::string first_format, first_text, first_plain;
  if (auto uri = body.string("message", limits_.max_message_bytes * 3 + 64); uri && !uri->empty()) {
    const auto data = proto::ucwa::parse_data_uri(*uri, limits_.max_message_bytes);
    if (!data) throw ParameterValidationFailure("message must be a data: URI of text/plain or text/html");
    if (data->media_type == "text/html") {
      first_format = "Html";
      first_text = proto::ucwa::sanitize_html(data->data, limits_.max_message_bytes);
      first_plain = proto::ucwa::html_to_text(first_text);
    } else if (data->media_type == "text/plain") {
      first_format = "Plain";
      first_text = first_plain = data->data;
    } else {
      throw UnsupportedMediaType("messages are text/plain or text/html");
    }
  }

  // The recipient must exist and be enabled; otherwise the operation fails (and nothing is kept).
  storage::Store* store = ctx_.store;
  const std::string target = *to;
  auto find = [store, target] { return store->find_user(target); };
  const auto recipient = co_await ctx_.pool->store(find);

  auto c = std::make_shared<Conversation>();
  c->id = random_token(12);
  c->thread_id = thread_id;
  c->subject = subject;
  c->importance = importance;
  c->initiator = app.owner();
  Invitation inv;
  inv.id = random_token(12);
  inv.from = app.owner();
  inv.from_app = app.id();
  inv.to = target;
  inv.operation_id = operation_id;
  inv.first_format = first_format;
  inv.first_text = first_text;
  inv.deadline = Clock::now() + engine_.scaled(limits_.ring_timeout);
  const std::string location = inv_href(app, inv, false);

  if (!recipient || !recipient->enabled) {
    auto e = event(communication(app), {"messagingInvitation", location, ""}, EventType::completed,
                   Priority::high, invitation_json(app, *c, inv, false, "Failed"));
    e.status = "Failed";
    e.reason = reason("NotFound", "DestinationNotFound", "no such user");
    app.push(std::move(e));
    auto res = http::Response::empty(201);
    res.headers.set("Location", location);
    co_return res;
  }

  // Durable before the 201: the conversation, both histories, and the first message.
  storage::ConversationRecord record{c->id, thread_id, subject, importance, app.owner(), now_ms()};
  const std::vector<std::string> participants{app.owner(), target};
  auto create = [store, record, participants] { store->create_conversation(record, participants); };
  co_await ctx_.pool->store(create);
  if (!first_text.empty()) {
    storage::MessageRecord m{c->id, 0, app.owner(), now_ms(), first_format, first_text, first_plain};
    co_await writer_.append(std::move(m));
  }

  auto self_app = engine_.find(app.id());
  {
    std::lock_guard lock(c->mutex);
    c->members[app.owner()] = Member{app.owner(), app.id(), true, {}};
    c->members[target] = Member{target, "", false, {}};
    c->html = supports_html(app);
    index(c);
    const auto comm = communication(app);
    app.push(event(comm, {"messagingInvitation", location, ""}, EventType::started, Priority::high,
                   invitation_json(app, *c, inv, false, "Connecting")));
    app.push(event(comm, {"conversation", conv_href(app, *c), ""}, EventType::added, Priority::high,
                   conversation_json(app, *c)));
    app.push(event(conversation_sender(app, *c), {"localParticipant", participant_href(app, *c, app.owner()), ""},
                   EventType::added, Priority::high, participant_json(app, *c, app.owner())));
    app.push(event(conversation_sender(app, *c), {"messaging", conv_href(app, *c) + "/messaging", ""},
                   EventType::updated, Priority::high, messaging_json(app, *c, false)));
    auto& stored = c->invitations[inv.id] = inv;
    index_invitation(inv.id, c->id);
    ring_locked(*c, stored);
    if (stored.ringing.empty()) end_invitation_locked(*c, inv.id, "unreachable");
  }
  auto res = http::Response::empty(201);
  res.headers.set("Location", location);
  co_return res;
}

asio::awaitable<http::Response> MessagingService::accept(http::Request& req, Application& app) {
  const std::string inv_id = req.params["inv"];
  auto c = find_invitation(inv_id);
  if (!c) missing_invitation(app, inv_id);
  std::string first_format, first_text, from;
  {
    std::lock_guard lock(c->mutex);
    auto it = c->invitations.find(inv_id);
    if (it == c->invitations.end() || it->second.to != app.owner() || !it->second.ringing.count(app.id()))
      missing_invitation(app, inv_id);
    Invitation& inv = it->second;
    first_format = inv.first_format;
    first_text = inv.first_text;
    from = inv.from;
    const bool was_connecting = c->state == ConvState::connecting;
    c->state = ConvState::connected;
    c->html = c->html && supports_html(app);
    Member& me = c->members[app.owner()];
    me = Member{app.owner(), app.id(), true, {}};
    // The accepting endpoint.
    const auto conv = conversation_sender(app, *c);
    app.push(event(conv, {"messaging", conv_href(app, *c) + "/messaging", ""}, EventType::updated,
                   Priority::high, messaging_json(app, *c, true)));
    app.push(event(communication(app), {"conversation", conv_href(app, *c), ""}, EventType::updated,
                   Priority::high, conversation_json(app, *c)));
    for (auto& [u, m] : c->members)
      if (u != app.owner() && m.connected)
        app.push(event(conv, {"participant", participant_href(app, *c, u), ""}, EventType::added,
                       Priority::high, participant_json(app, *c, u)));
    auto done = event(communication(app), {"messagingInvitation", inv_href(app, inv, true), ""},
                      EventType::completed, Priority::high, invitation_json(app, *c, inv, true, "Connected"));
    done.status = "Success";
    app.push(done);
    // Everyone already in the conversation sees the newcomer; the inviter's operation completes.
    for (auto& [u, m] : c->members) {
      if (u == app.owner() || !m.connected) continue;
      auto other = app_of(m.app_id);
      if (!other) continue;
      const auto oc = conversation_sender(*other, *c);
      if (was_connecting)
        other->push(event(communication(*other), {"conversation", conv_href(*other, *c), ""},
                          EventType::updated, Priority::high, conversation_json(*other, *c)));
      auto added = event(oc, {"participant", participant_href(*other, *c, app.owner()), ""},
                         EventType::added, Priority::high, participant_json(*other, *c, app.owner()));
      added.in = events::Link{"participants", conv_href(*other, *c) + "/participants", ""};
      other->push(added);
      if (m.app_id == inv.from_app) {
        other->push(event(oc, {"messaging", conv_href(*other, *c) + "/messaging", ""},
                          EventType::updated, Priority::high, messaging_json(*other, *c, true)));
        json::object embedded = invitation_json(*other, *c, inv, false, "Connected");
        embedded["_embedded"] = json::object{
            {"acceptedByParticipant", json::array{participant_json(*other, *c, app.owner())}}};
        auto completed = event(communication(*other), {inv.participant_invitation ? "participantInvitation"
                                                                                  : "messagingInvitation",
                                                       inv_href(*other, inv, false), ""},
                               EventType::completed, Priority::high, embedded);
        completed.status = "Success";
        other->push(completed);
      }
    }
    // The first message, now that the recipient is in the conversation.
    if (!first_text.empty()) {
      auto m = event(conv, {"message", conv_href(app, *c) + "/messaging/messages/1", ""},
                     EventType::completed, Priority::high,
                     message_json(app, *c, 1, from, now_ms(), first_format, first_text));
      m.status = "Success";
      app.push(m);
    }
    end_invitation_locked(*c, inv_id, "accepted");
  }
  // Her history shows the conversation as read: she has it open.
  storage::Store* store = ctx_.store;
  const std::string owner = app.owner(), conv_id = c->id;
  auto read = [store, owner, conv_id] { store->mark_log_read(owner, conv_id); };
  co_await ctx_.pool->store(read);
  co_return http::Response::empty(204);
}

asio::awaitable<http::Response> MessagingService::decline(http::Request& req, Application& app) {
  const std::string inv_id = req.params["inv"];
  auto c = find_invitation(inv_id);
  if (!c) missing_invitation(app, inv_id);
  std::lock_guard lock(c->mutex);
  auto it = c->invitations.find(inv_id);
  if (it == c->invitations.end() || it->second.to != app.owner() || !it->second.ringing.count(app.id()))
    missing_invitation(app, inv_id);
  end_invitation_locked(*c, inv_id, "declined");
  co_return http::Response::empty(204);
}

asio::awaitable<http::Response> MessagingService::cancel(http::Request& req, Application& app) {
  const std::string inv_id = req.params["inv"];
  auto c = find_invitation(inv_id);
  if (!c) missing_invitation(app, inv_id);
  std::lock_guard lock(c->mutex);
  auto it = c->invitations.find(inv_id);
  if (it == c->invitations.end() || it->second.from_app != app.id()) missing_invitation(app, inv_id);
  end_invitation_locked(*c, inv_id, "cancelled");
  co_return http::Response::empty(204);
}

asio::awaitable<http::Response> MessagingService::send_message(http::Request& req, Application& app) {
  auto c = member_conversation(app, req.params["c"]);
  const std::string operation_id = http::query_param(req.query, "operationId");
  if (operation_id.size() > kMaxOperationId)
    throw ParameterValidationFailure("operationId holds at most 50 characters");
  if (req.body.size() > limits_.max_message_bytes)
    throw EntityTooLarge("a message holds at most " + std::to_string(limits_.max_message_bytes) + " bytes");
  const std::string type = lower(trim(req.headers.get("Content-Type").substr(
      0, req.headers.get("Content-Type").find(';'))));
  std::string format = "Plain", text, plain;
  if (type == "text/html") {
    format = "Html";
    text = proto::ucwa::sanitize_html(req.body, limits_.max_message_bytes);
    plain = proto::ucwa::html_to_text(text);
  } else if (type == "text/plain" || type.empty()) {
    text = plain = req.body;
  } else if (type == "application/x-www-form-urlencoded") {
    // Some clients post a form: message=<text>.
    bool present = false;
    text = plain = http::query_param(req.body, "message", &present);
    if (!present) text = plain = req.body;
  } else {
    throw UnsupportedMediaType("messages are text/plain or text/html");
  }
  if (text.empty()) throw ParameterValidationFailure("a message needs some text");
  {
    std::lock_guard lock(c->mutex);
    if (c->state != ConvState::connected) throw Conflict("the conversation is not connected", "InvalidState");
    if (format == "Html" && !c->html) {  // not negotiated: the others get its text
      format = "Plain";
      text = plain;
    }
  }
  storage::MessageRecord record{c->id, 0, app.owner(), now_ms(), format, text, plain};
  const std::int64_t at = record.at_ms;
  const std::int64_t seq = co_await writer_.append(std::move(record));
  {
    std::lock_guard lock(c->mutex);
    for (auto& [u, m] : c->members) {
      if (!m.connected) continue;
      auto other = u == app.owner() ? engine_.find(app.id()) : app_of(m.app_id);
      if (!other) continue;
      auto e = event(conversation_sender(*other, *c),
                     {"message", conv_href(*other, *c) + "/messaging/messages/" + std::to_string(seq), ""},
                     EventType::completed, Priority::high,
                     message_json(*other, *c, seq, app.owner(), at, format, text));
      e.status = "Success";
      if (u == app.owner() && !operation_id.empty()) {
        e.embedded["operationId"] = operation_id;
      }
      other->push(std::move(e));
      m.typing_until = u == app.owner() ? Clock::time_point{} : m.typing_until;
    }
  }
  auto res = http::Response::empty(201);
  res.headers.set("Location", conv_href(app, *c) + "/messaging/messages/" + std::to_string(seq));
  co_return res;
}

asio::awaitable<http::Response> MessagingService::add_participant(http::Request& req, Application& app) {
  auto c = member_conversation(app, http::query_param(req.query, "conversation"));
  const auto body = proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
  const auto to = address_of(body.string("to", 260).value_or(""));
  if (!to) throw ParameterValidationFailure("to must be a SIP URI such as sip:carol@example.org");
  storage::Store* store = ctx_.store;
  const std::string target = *to;
  auto find = [store, target] { return store->find_user(target); };
  const auto user = co_await ctx_.pool->store(find);
  if (!user || !user->enabled) throw NotFound("no such user", "DestinationNotFound");
  const std::string conv_id = c->id;
  auto add = [store, conv_id, target] { store->add_participant(conv_id, target); };
  co_await ctx_.pool->store(add);
  Invitation inv;
  inv.id = random_token(12);
  inv.from = app.owner();
  inv.from_app = app.id();
  inv.to = target;
  inv.operation_id = body.string("operationId", kMaxOperationId).value_or("");
  inv.participant_invitation = true;
  inv.deadline = Clock::now() + engine_.scaled(limits_.ring_timeout);
  std::string location;
  {
    std::lock_guard lock(c->mutex);
    if (c->state != ConvState::connected) throw Conflict("the conversation is not connected", "InvalidState");
    if (c->members.count(target)) throw Conflict("already in the conversation");
    c->members[target] = Member{target, "", false, {}};
    location = inv_href(app, inv, false);
    app.push(event(communication(app), {"participantInvitation", location, ""}, EventType::started,
                   Priority::high, invitation_json(app, *c, inv, false, "Connecting")));
    auto& stored = c->invitations[inv.id] = inv;
    index_invitation(inv.id, c->id);
    ring_locked(*c, stored);
    if (stored.ringing.empty()) end_invitation_locked(*c, inv.id, "unreachable");
  }
  auto res = http::Response::empty(201);
  res.headers.set("Location", location);
  co_return res;
}

void MessagingService::tick() {
  const auto now = Clock::now();
  if (limits_.retention_days > 0 && now - last_purge_ >= std::chrono::hours(1)) {
    last_purge_ = now;
    if (const auto executor = engine_.executor())
      asio::co_spawn(executor, purge(shared_from_this()), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          logger("im")->warn("history retention purge failed: {}", ex.what());
        }
      });
  }
  std::vector<ConvPtr> all;
  {
    std::shared_lock lock(index_mutex_);
    all.reserve(conversations_.size());
    for (auto& [id, c] : conversations_) all.push_back(c);
  }
  for (auto& c : all) {
    std::lock_guard lock(c->mutex);
    std::vector<std::string> expired;
    for (auto& [id, inv] : c->invitations)
      if (inv.deadline <= now) expired.push_back(id);
    for (auto& id : expired) end_invitation_locked(*c, id, "timeout");
    for (auto& [u, m] : c->members) {
      if (m.typing_until == Clock::time_point{} || m.typing_until > now) continue;
      m.typing_until = {};
      for (auto& [ou, om] : c->members) {
        if (ou == u || !om.connected) continue;
        if (auto app = app_of(om.app_id)) {
          auto e = event(conversation_sender(*app, *c),
                         {"participant", participant_href(*app, *c, u), ""}, EventType::deleted,
                         Priority::high, json::object{});
          e.embedded.clear();
          e.in = events::Link{"typingParticipants", conv_href(*app, *c) + "/messaging/typingParticipants", ""};
          app->push(std::move(e));
        }
      }
    }
  }
}

// The application went (deleted, expired, resumed): it leaves its conversations and stops
// ringing.
void MessagingService::reset(Application& app) {
  std::vector<ConvPtr> all;
  {
    std::shared_lock lock(index_mutex_);
    for (auto& [id, c] : conversations_) all.push_back(c);
  }
  for (auto& c : all) {
    std::lock_guard lock(c->mutex);
    std::vector<std::string> cancelled;
    for (auto& [id, inv] : c->invitations) {
      inv.ringing.erase(app.id());
      if (inv.from_app == app.id()) cancelled.push_back(id);
    }
    for (auto& id : cancelled) end_invitation_locked(*c, id, "cancelled");
    auto it = c->members.find(app.owner());
    if (it != c->members.end() && it->second.app_id == app.id()) leave_locked(*c, app.owner(), false);
  }
}

void MessagingService::register_routes(http::SiteRouters& routers) {
  auto self = shared_from_this();
  using Handler = api::AppHandler;
  auto bind = [self](Awaitable (MessagingService::*m)(http::Request&, Application&)) -> Handler {
    return [self, m](http::Request& req, Application& app) { return ((*self).*m)(req, app); };
  };
  engine_.add_route(routers, "POST", "/communication/messagingInvitations", bind(&MessagingService::start_messaging));
  engine_.add_route(routers, "POST", "/communication/messagingInvitations/{inv}/accept", bind(&MessagingService::accept));
  engine_.add_route(routers, "POST", "/communication/messagingInvitations/{inv}/decline", bind(&MessagingService::decline));
  engine_.add_route(routers, "POST", "/communication/messagingInvitations/{inv}/cancel", bind(&MessagingService::cancel));
  engine_.add_route(routers, "POST", "/communication/participantInvitations", bind(&MessagingService::add_participant));
  engine_.add_route(routers, "POST", "/communication/participantInvitations/{inv}/cancel", bind(&MessagingService::cancel));

  engine_.add_route(routers, "GET", "/communication/messagingInvitations/{inv}",
                    [self](http::Request& req, Application& app) -> Awaitable {
    const std::string inv_id = req.params["inv"];
    auto c = self->find_invitation(inv_id);
    if (!c) self->missing_invitation(app, inv_id);
    std::lock_guard lock(c->mutex);
    auto it = c->invitations.find(inv_id);
    if (it == c->invitations.end()) self->missing_invitation(app, inv_id);
    const bool incoming = it->second.ringing.count(app.id()) > 0;
    if (!incoming && it->second.from_app != app.id()) throw NotFound("no such invitation");
    co_return http::Response::json(200, json::serialize(invitation_json(app, *c, it->second, incoming, "Connecting")));
  });

  engine_.add_route(routers, "GET", "/communication/conversations",
                    [self](http::Request&, Application& app) -> Awaitable {
    json::array list;
    std::vector<ConvPtr> all;
    {
      std::shared_lock lock(self->index_mutex_);
      for (auto& [id, c] : self->conversations_) all.push_back(c);
    }
    for (auto& c : all) {
      std::lock_guard lock(c->mutex);
      auto it = c->members.find(app.owner());
      if (it != c->members.end() && it->second.app_id == app.id())
        list.emplace_back(conversation_json(app, *c));
    }
    json::object o{{"rel", "conversations"},
                   {"_links", json::object{{"self", link(app.href("/communication/conversations"))}}},
                   {"_embedded", json::object{{"conversation", std::move(list)}}}};
    co_return http::Response::json(200, json::serialize(o));
  });

  engine_.add_route(routers, "GET", "/communication/conversations/{c}",
                    [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_conversation(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    co_return http::Response::json(200, json::serialize(conversation_json(app, *c)));
  });

  auto leave = [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_conversation(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    // Leaving while the only invitation still rings cancels it.
    if (c->state == ConvState::connecting) {
      std::vector<std::string> pending;
      for (auto& [id, inv] : c->invitations) pending.push_back(id);
      for (auto& id : pending) self->end_invitation_locked(*c, id, "cancelled");
    }
    self->leave_locked(*c, app.owner(), true);
    co_return http::Response::empty(204);
  };
  engine_.add_route(routers, "DELETE", "/communication/conversations/{c}", leave);
  engine_.add_route(routers, "POST", "/communication/conversations/{c}/messaging/terminate", leave);

  engine_.add_route(routers, "GET", "/communication/conversations/{c}/messaging",
                    [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_conversation(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    co_return http::Response::json(
        200, json::serialize(messaging_json(app, *c, c->state == ConvState::connected)));
  });
  engine_.add_route(routers, "POST", "/communication/conversations/{c}/messaging/messages",
                    bind(&MessagingService::send_message));

  engine_.add_route(routers, "POST", "/communication/conversations/{c}/messaging/typing",
                    [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_conversation(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    if (c->state != ConvState::connected) throw Conflict("the conversation is not connected", "InvalidState");
    auto& me = c->members[app.owner()];
    const bool was_typing = me.typing_until != Clock::time_point{};
    me.typing_until = Clock::now() + self->engine_.scaled(self->limits_.typing_timeout);
    if (!was_typing) {
      for (auto& [u, m] : c->members) {
        if (u == app.owner() || !m.connected) continue;
        if (auto other = self->app_of(m.app_id)) {
          auto e = event(self->conversation_sender(*other, *c),
                         {"participant", participant_href(*other, *c, app.owner()), ""},
                         EventType::added, Priority::high, participant_json(*other, *c, app.owner()));
          e.in = events::Link{"typingParticipants",
                              conv_href(*other, *c) + "/messaging/typingParticipants", ""};
          other->push(std::move(e));
        }
      }
    }
    co_return http::Response::empty(204);
  });

  engine_.add_route(routers, "GET", "/communication/conversations/{c}/messaging/typingParticipants",
                    [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_conversation(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    json::array typing;
    const auto now = Clock::now();
    for (auto& [u, m] : c->members)
      if (u != app.owner() && m.typing_until > now) typing.emplace_back(participant_json(app, *c, u));
    json::object o{{"rel", "typingParticipants"},
                   {"_links", json::object{{"self", link(conv_href(app, *c) + "/messaging/typingParticipants")}}},
                   {"_embedded", json::object{{"participant", std::move(typing)}}}};
    co_return http::Response::json(200, json::serialize(o));
  });

  engine_.add_route(routers, "GET", "/communication/conversations/{c}/participants",
                    [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_conversation(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    json::array list;
    for (auto& [u, m] : c->members)
      if (u != app.owner() && m.connected) list.emplace_back(participant_json(app, *c, u));
    json::object o{{"rel", "participants"},
                   {"_links", json::object{{"self", link(conv_href(app, *c) + "/participants")}}},
                   {"_embedded", json::object{{"participant", std::move(list)}}}};
    co_return http::Response::json(200, json::serialize(o));
  });

  engine_.add_route(routers, "GET", "/communication/conversations/{c}/participants/{sip}",
                    [self](http::Request& req, Application& app) -> Awaitable {
    auto c = self->member_conversation(app, req.params["c"]);
    const auto who = address_of(req.params["sip"]);
    std::lock_guard lock(c->mutex);
    if (!who || !c->members.count(*who)) throw NotFound("no such participant");
    co_return http::Response::json(200, json::serialize(participant_json(app, *c, *who)));
  });

  engine_.on_tick([weak = std::weak_ptr<MessagingService>(self)] {
    if (auto s = weak.lock()) s->tick();
  });
  engine_.on_reset([weak = std::weak_ptr<MessagingService>(self)](Application& app) {
    if (auto s = weak.lock()) s->reset(app);
  });
}

std::shared_ptr<MessagingService> register_messaging_routes(api::Engine& engine,
                                                            http::SiteRouters& routers,
                                                            MessagingLimits limits) {
  auto service = std::make_shared<MessagingService>(engine, limits);
  service->register_routes(routers);
  return service;
}

asio::awaitable<http::Response> continue_messaging(MessagingService& service, http::Request& req,
                                                   Application& app,
                                                   const storage::ConversationLogRecord& log) {
  std::string other;
  for (const auto& p : log.participants)
    if (p != app.owner()) {
      other = p;
      break;
    }
  if (other.empty()) throw Conflict("nobody else is in that conversation", "InvalidState");
  // The same request as a client's startMessaging, on the entry's thread and subject.
  http::Request start = req;
  start.headers.set("Content-Type", "application/json");
  start.body = json::serialize(json::object{{"to", "sip:" + other},
                                            {"subject", log.subject},
                                            {"importance", log.importance.empty() ? "Normal" : log.importance},
                                            {"threadId", log.thread_id}});
  start.query.clear();
  auto answer = service.start_messaging(start, app);
  co_return co_await std::move(answer);
}

}  // namespace parley::im
