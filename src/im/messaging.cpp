#include "im/messaging_service.hpp"

#include "common/error.hpp"
#include "common/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/json/serialize.hpp>

namespace parley::im {

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
  c->id = random_id();
  c->thread_id = thread_id;
  c->subject = subject;
  c->importance = importance;
  c->initiator = app.owner();
  Invitation inv;
  inv.id = random_id();
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
      // Every href of the event starts with the conversation's: built once per recipient.
      std::string conv = conv_href(*other, *c);
      std::string message = conv + "/messaging/messages/" + std::to_string(seq);
      auto e = event({"conversation", "", ""}, {"message", std::move(message), ""},
                     EventType::completed, Priority::high, {});
      e.embedded_text = message_json_text(*other, conv, seq, app.owner(), at, format, text,
                                          u == app.owner() ? std::string_view(operation_id) : "");
      e.sender.href = std::move(conv);
      e.status = "Success";
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
  inv.id = random_id();
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
