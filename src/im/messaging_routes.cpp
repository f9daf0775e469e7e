// The routes of instant messaging (UCWA.md §5.4): invitations, the conversation and its
// messaging resource, participants and typing.
#include "im/messaging_service.hpp"

#include "common/error.hpp"
#include "common/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/json/serialize.hpp>

namespace parley::im {

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
    for (const auto& h : self->hosts_)
      for (auto& o : h->conversations(app)) list.emplace_back(std::move(o));
    json::object o{{"rel", "conversations"},
                   {"_links", json::object{{"self", link(app.href("/communication/conversations"))}}},
                   {"_embedded", json::object{{"conversation", std::move(list)}}}};
    co_return http::Response::json(200, json::serialize(o));
  });

  engine_.add_route(routers, "GET", "/communication/conversations/{c}",
                    [self](http::Request& req, Application& app) -> Awaitable {
    if (!self->find_conversation(req.params["c"]))
      for (const auto& h : self->hosts_)
        if (auto o = h->conversation(app, req.params["c"])) co_return http::Response::json(200, json::serialize(*o));
    auto c = self->member_conversation(app, req.params["c"]);
    std::lock_guard lock(c->mutex);
    co_return http::Response::json(200, json::serialize(conversation_json(app, *c)));
  });

  auto leave = [self](http::Request& req, Application& app) -> Awaitable {
    if (!self->find_conversation(req.params["c"]))
      for (const auto& h : self->hosts_)
        if (h->leave(app, req.params["c"])) co_return http::Response::empty(204);
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
    if (!self->find_conversation(req.params["c"]))
      for (const auto& h : self->hosts_)
        if (auto o = h->participants(app, req.params["c"])) co_return http::Response::json(200, json::serialize(*o));
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
    if (!self->find_conversation(req.params["c"]))
      for (const auto& h : self->hosts_)
        if (auto o = h->participant(app, req.params["c"], req.params["sip"]))
          co_return http::Response::json(200, json::serialize(*o));
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

void add_conversation_host(MessagingService& service, std::shared_ptr<ConversationHost> host) {
  service.add_host(std::move(host));
}

}  // namespace parley::im
