// `{app}/people...` (UCWA.md §5.2). Store calls run on the blocking pool; presence comes from the
// hub. Literal paths are registered before the "/people/{sip}" patterns because the router takes
// the first registered match.

#include "presence/people_routes.hpp"

#include "common/error.hpp"
#include "common/text.hpp"
#include "http/target.hpp"
#include "presence/contact_json.hpp"
#include "presence/subscriptions.hpp"
#include "proto/ucwa/body.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

namespace parley::presence {

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using api::Application;
using Awaitable = asio::awaitable<http::Response>;

constexpr std::size_t kMaxSearchLimit = 100;
constexpr std::size_t kMaxUrisPerRequest = 10000;  // beyond the contact limit: that one answers

struct People {
  api::Engine* engine = nullptr;
  SubscriptionRegistry subs;
  // Serialises a registry change with the hub watchers that mirror it, so that a watcher is
  // never left behind for a subscription that is gone. Listeners never take it.
  std::mutex watch_mutex;
  std::mutex list_mutex;  // guards list_watchers
  std::set<std::string, std::less<>> list_watchers;  // apps with myContactsAndGroupsSubscription

  People(api::Engine& e, SubscriptionRegistry::Limits limits) : engine(&e), subs(limits) {}
  storage::Store& store() const { return *engine->context().store; }
  runtime::BlockingPool& pool() const { return *engine->context().pool; }
  Hub& hub() const { return *engine->context().presence; }
};
using PeoplePtr = std::shared_ptr<People>;

http::Response ok(const json::object& o) { return http::Response::json(200, json::serialize(o)); }

proto::ucwa::Body body_of(const http::Request& req) {
  return proto::ucwa::Body::parse_json_request(req.headers.get("Content-Type"), req.body);
}

// The contact a path names; anything else is a resource that does not exist.
std::string path_key(http::Request& req) {
  auto key = contact_key(req.params["sip"]);
  if (!key) throw NotFound("no such contact");
  return *key;
}

std::optional<std::int64_t> parse_positive(std::string_view s) {
  std::int64_t n = 0;
  const auto* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, n);
  if (s.empty() || ec != std::errc{} || p != end || n <= 0) return std::nullopt;
  return n;
}

std::int64_t path_group(http::Request& req, const char* name = "id") {
  auto id = parse_positive(req.params[name]);
  if (!id) throw NotFound("no such group");
  return *id;
}

// Query parameter names match case-insensitively, like body property names (UCWA.md §0).
std::optional<std::string> query_value(std::string_view query, std::string_view name) {
  for (auto& [k, v] : http::parse_query(query))
    if (iequals(k, name)) return std::move(v);
  return std::nullopt;
}

events::Event people_event(const Application& app, std::string rel, std::string href,
                           events::EventType type, json::object embedded = {}) {
  events::Event e;
  e.sender = {"people", app.href("/people"), ""};
  e.link = {std::move(rel), std::move(href), ""};
  e.type = type;
  e.priority = events::Priority::medium;
  e.embedded = std::move(embedded);
  return e;
}

std::string watcher_id(std::string_view app_id, std::string_view sub_id) {
  return std::string(app_id) + "/" + std::string(sub_id);
}

void push_contact_state(Application& app, const std::string& key, const Snapshot& s,
                        unsigned changed) {
  const std::string base = app.base();
  const std::string self = base + "/people/" + key;
  if (changed & static_cast<unsigned>(Change::presence))
    app.push(people_event(app, "contactPresence", self + "/presence", events::EventType::updated,
                          contact_presence_json(base, key, s)));
  if (changed & static_cast<unsigned>(Change::note))
    app.push(people_event(app, "contactNote", self + "/note", events::EventType::updated,
                          contact_note_json(base, key, s)));
  if (changed & static_cast<unsigned>(Change::location))
    app.push(people_event(app, "contactLocation", self + "/location", events::EventType::updated,
                          contact_location_json(base, key, s)));
}

// Registers the hub watchers of `uris` for one subscription and tells the application what each
// contact shows now. Called with watch_mutex held.
void watch_uris(const PeoplePtr& p, const std::shared_ptr<Application>& app,
                const std::string& sub_id, const std::vector<std::string>& uris) {
  std::weak_ptr<People> weak_people = p;
  std::weak_ptr<Application> weak_app = app;
  const std::string app_id = app->id();
  for (const auto& uri : uris) {
    p->hub().watch(uri, watcher_id(app_id, sub_id),
                   [weak_people, weak_app, app_id, sub_id](const std::string& user,
                                                           const Snapshot& s, unsigned changed) {
                     auto people = weak_people.lock();
                     auto a = weak_app.lock();
                     if (!people || !a || !people->subs.watching(app_id, sub_id, user)) return;
                     push_contact_state(*a, user, s, changed);
                   });
  }
  for (const auto& uri : uris)
    push_contact_state(*app, uri, p->hub().get(uri), static_cast<unsigned>(Change::presence));
}

void unwatch_uris(People& p, std::string_view app_id, const PresenceSubscription& s) {
  const auto id = watcher_id(app_id, s.id);
  for (const auto& uri : s.uris) p.hub().unwatch(uri, id);
}

// Sends an event to every application of `owner` that subscribed to contact-list changes.
void notify_list(People& p, const std::string& owner,
                 const std::function<events::Event(const Application&)>& make) {
  for (const auto& app : p.engine->applications_of(owner)) {
    {
      std::lock_guard lock(p.list_mutex);
      if (!p.list_watchers.contains(app->id())) continue;
    }
    app->push(make(*app));
  }
}

// Directory entries for `keys` (nullopt: not in the directory).
asio::awaitable<std::vector<std::optional<storage::User>>> lookup(PeoplePtr p,
                                                                  std::vector<std::string> keys) {
  auto* store = &p->store();
  auto job = [store, keys] {
    std::vector<std::optional<storage::User>> out;
    out.reserve(keys.size());
    for (const auto& k : keys) out.push_back(store->find_user(k));
    return out;
  };
  co_return co_await p->pool().store(job);
}

json::array contacts_of(std::string_view base, const std::vector<std::string>& keys,
                        const std::vector<std::optional<storage::User>>& users) {
  json::array out;
  for (std::size_t i = 0; i < keys.size(); ++i)
    out.emplace_back(any_contact_json(base, keys[i], i < users.size() ? users[i] : std::nullopt));
  return out;
}

// ---- contact list ---------------------------------------------------------------------------

struct MembershipArgs {
  std::string key;
  std::optional<std::int64_t> group;
};

// contactUri and groupId from the query, or from a JSON body (either spelling of the names).
MembershipArgs membership_args(const http::Request& req) {
  std::optional<std::string> uri = query_value(req.query, "contactUri");
  std::optional<std::string> group = query_value(req.query, "groupId");
  if (!trim(req.body).empty()) {
    const auto body = body_of(req);
    if (!uri) uri = body.string("contactUri", kMaxUriChars);
    for (const auto& [name, value] : body.object()) {
      if (group || !iequals(name, "groupId")) continue;
      if (value.is_string()) group = std::string(value.as_string());
      else if (value.is_int64()) group = std::to_string(value.as_int64());
      else if (!value.is_null()) throw ParameterValidationFailure("groupId must be a group id");
    }
  }
  if (!uri || uri->empty()) throw ParameterValidationFailure("contactUri is required");
  auto key = contact_key(*uri);
  if (!key) throw ParameterValidationFailure("contactUri must be a sip:user@domain address");
  MembershipArgs out{std::move(*key), std::nullopt};
  if (group) {
    out.group = parse_positive(*group);
    if (!out.group) throw ParameterValidationFailure("groupId must be a group id");
  }
  return out;
}

struct ListChange {
  std::vector<storage::GroupMembership> memberships;  // added or removed
  bool contact_changed = false;  // the contact entered or left the list altogether
  std::optional<storage::User> user;
};

void announce_memberships(People& p, const std::string& owner, const std::string& key,
                          const ListChange& c, events::EventType type) {
  for (const auto& m : c.memberships) {
    notify_list(p, owner, [&](const Application& app) {
      auto e = people_event(app, "groupMembership", group_membership_href(app.base(), m.group_id, key),
                            type,
                            type == events::EventType::added
                                ? group_membership_json(app.base(), m)
                                : json::object());
      e.in = events::Link{"myGroupMemberships", app.href("/people/groupMemberships"), ""};
      return e;
    });
  }
  if (!c.contact_changed) return;
  notify_list(p, owner, [&](const Application& app) {
    auto e = people_event(app, "contact", app.href("/people/" + key), type,
                          type == events::EventType::added
                              ? any_contact_json(app.base(), key, c.user)
                              : json::object());
    e.in = events::Link{"myContacts", app.href("/people/contacts"), ""};
    return e;
  });
}

void announce_group(People& p, const std::string& owner, const storage::ContactGroup& g,
                    events::EventType type) {
  notify_list(p, owner, [&](const Application& app) {
    auto e = people_event(app, "group", app.href("/people/groups/" + std::to_string(g.id)), type,
                          type == events::EventType::deleted
                              ? json::object()
                              : group_json(app.base(), g));
    e.in = events::Link{"myGroups", app.href("/people/groups"), ""};
    return e;
  });
}

void register_list_routes(api::Engine& engine, http::SiteRouters& routers, const PeoplePtr& p) {
  engine.add_route(routers, "GET", "/people/contacts",
                   [p](http::Request&, Application& app) -> Awaitable {
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner] {
      std::vector<std::string> keys;
      for (const auto& m : store->list_memberships(owner))
        if (keys.empty() || keys.back() != m.contact_uri) keys.push_back(m.contact_uri);
      return keys;
    };
    auto keys = co_await p->pool().store(job);
    auto op = lookup(p, keys);
    auto users = co_await std::move(op);
    co_return ok(contact_collection("myContacts", app.href("/people/contacts"),
                                    contacts_of(app.base(), keys, users)));
  });

  engine.add_route(routers, "GET", "/people/groups",
                   [p](http::Request&, Application& app) -> Awaitable {
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner] { return store->list_groups(owner); };
    const auto groups = co_await p->pool().store(job);
    co_return ok(my_groups_json(app.base(), groups));
  });

  engine.add_route(routers, "POST", "/people/groups",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto body = body_of(req);
    const std::string name = body.required_string("name", 256);
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner, name] { return store->create_group(owner, name); };
    const auto group = co_await p->pool().store(job);
    announce_group(*p, owner, group, events::EventType::added);
    auto res = http::Response::json(201, json::serialize(group_json(app.base(), group)));
    res.headers.set("Location", app.href("/people/groups/" + std::to_string(group.id)));
    co_return res;
  });

  engine.add_route(routers, "GET", "/people/groups/{id}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto id = path_group(req);
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner] { return store->list_groups(owner); };
    const auto groups = co_await p->pool().store(job);
    const auto it = std::find_if(groups.begin(), groups.end(),
                                 [id](const storage::ContactGroup& g) { return g.id == id; });
    if (it == groups.end()) throw NotFound("no such group");
    co_return ok(group_json(app.base(), *it));
  });

  engine.add_route(routers, "PUT", "/people/groups/{id}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto id = path_group(req);
    const auto body = body_of(req);
    const std::string name = body.required_string("name", 256);
    auto* store = &p->store();
    const std::string owner = app.owner();
    const std::string if_match(req.headers.get("If-Match"));
    // PUT rules (UCWA.md §0): the representation read last, named by its etag.
    auto job = [store, owner, id, name, if_match, &body] {
      const auto groups = store->list_groups(owner);
      const auto it = std::find_if(groups.begin(), groups.end(),
                                   [id](const storage::ContactGroup& g) { return g.id == id; });
      if (it == groups.end()) throw NotFound("no such group");
      if (it->kind != "user") throw Forbidden("the built-in groups cannot be renamed");
      proto::ucwa::check_put(if_match, group_etag(*it), body);
      store->rename_group(owner, id, name);
      return storage::ContactGroup{id, name, it->kind};
    };
    const auto renamed = co_await p->pool().store(job);
    announce_group(*p, owner, renamed, events::EventType::updated);
    auto res = http::Response::empty(204);
    res.headers.set("ETag", "\"" + group_etag(renamed) + "\"");
    co_return res;
  });

  engine.add_route(routers, "DELETE", "/people/groups/{id}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto id = path_group(req);
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner, id] { return store->remove_group(owner, id); };
    if (!co_await p->pool().store(job)) throw NotFound("no such group");
    announce_group(*p, owner, storage::ContactGroup{id, "", "user"}, events::EventType::deleted);
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/people/groups/{id}/contacts",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto id = path_group(req);
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner, id] {
      std::optional<std::vector<std::string>> keys;
      for (const auto& g : store->list_groups(owner))
        if (g.id == id) keys.emplace();
      if (!keys) return keys;
      for (const auto& m : store->list_memberships(owner))
        if (m.group_id == id) keys->push_back(m.contact_uri);
      return keys;
    };
    const auto keys = co_await p->pool().store(job);
    if (!keys) throw NotFound("no such group");
    auto op = lookup(p, *keys);
    auto users = co_await std::move(op);
    co_return ok(contact_collection(
        "groupContacts", app.href("/people/groups/" + std::to_string(id) + "/contacts"),
        contacts_of(app.base(), *keys, users)));
  });

  engine.add_route(routers, "GET", "/people/groupMemberships",
                   [p](http::Request&, Application& app) -> Awaitable {
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner] { return store->list_memberships(owner); };
    const auto ms = co_await p->pool().store(job);
    co_return ok(my_group_memberships_json(app.base(), ms));
  });

  engine.add_route(routers, "POST", "/people/groupMemberships",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto args = membership_args(req);
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner, args] {
      ListChange c;
      std::int64_t group = 0;
      if (args.group) {
        group = *args.group;
      } else {
        for (const auto& g : store->list_groups(owner))
          if (g.kind == "default") group = g.id;
        if (group == 0) throw NotFound("the default group is missing");
      }
      bool listed = false;
      for (const auto& m : store->list_memberships(owner))
        if (m.contact_uri == args.key) listed = true;
      if (store->add_membership(owner, args.key, group)) {
        c.memberships.push_back({args.key, group, 0});
        c.contact_changed = !listed;
        if (c.contact_changed) c.user = store->find_user(args.key);
      }
      return c;
    };
    const auto change = co_await p->pool().store(job);
    announce_memberships(*p, owner, args.key, change, events::EventType::added);
    co_return http::Response::empty(204);
  });

  // Removing one membership: by query (as the C# sample does) or at the membership's own href.
  auto remove_one = [p](Application& app, std::string key, std::int64_t group) -> asio::awaitable<void> {
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner, key, group] {
      ListChange c;
      if (!store->remove_membership(owner, key, group)) return std::optional<ListChange>{};
      c.memberships.push_back({key, group, 0});
      c.contact_changed = true;
      for (const auto& m : store->list_memberships(owner))
        if (m.contact_uri == key) c.contact_changed = false;
      return std::optional<ListChange>{std::move(c)};
    };
    const auto change = co_await p->pool().store(job);
    if (!change) throw NotFound("no such group membership");
    announce_memberships(*p, owner, key, *change, events::EventType::deleted);
  };

  engine.add_route(routers, "DELETE", "/people/groupMemberships",
                   [remove_one](http::Request& req, Application& app) -> Awaitable {
    auto args = membership_args(req);
    if (!args.group) throw ParameterValidationFailure("groupId is required");
    auto op = remove_one(app, std::move(args.key), *args.group);
    co_await std::move(op);
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/people/groupMemberships/{group}/{sip}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto group = path_group(req, "group");
    const auto key = path_key(req);
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner, key, group] {
      for (const auto& m : store->list_memberships(owner))
        if (m.contact_uri == key && m.group_id == group) return std::optional(m);
      return std::optional<storage::GroupMembership>{};
    };
    const auto m = co_await p->pool().store(job);
    if (!m) throw NotFound("no such group membership");
    co_return ok(group_membership_json(app.base(), *m));
  });

  engine.add_route(routers, "DELETE", "/people/groupMemberships/{group}/{sip}",
                   [remove_one](http::Request& req, Application& app) -> Awaitable {
    const auto group = path_group(req, "group");
    auto op = remove_one(app, path_key(req), group);
    co_await std::move(op);
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "POST", "/people/removeContactFromAllGroups",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto args = membership_args(req);
    auto* store = &p->store();
    const std::string owner = app.owner();
    auto job = [store, owner, args] {
      ListChange c;
      for (const auto& m : store->list_memberships(owner))
        if (m.contact_uri == args.key) c.memberships.push_back(m);
      c.contact_changed = store->remove_contact(owner, args.key) > 0;
      return c;
    };
    const auto change = co_await p->pool().store(job);
    announce_memberships(*p, owner, args.key, change, events::EventType::deleted);
    co_return http::Response::empty(204);
  });

  // myContactsAndGroupsSubscription: while active, contact-list changes reach this application.
  const auto start = [p](http::Request&, Application& app) -> Awaitable {
    {
      std::lock_guard lock(p->list_mutex);
      p->list_watchers.insert(app.id());
    }
    co_return http::Response::empty(204);
  };
  const auto stop = [p](http::Request&, Application& app) -> Awaitable {
    {
      std::lock_guard lock(p->list_mutex);
      p->list_watchers.erase(app.id());
    }
    co_return http::Response::empty(204);
  };
  engine.add_route(routers, "GET", "/people/contactsAndGroupsSubscription",
                   [p](http::Request&, Application& app) -> Awaitable {
    bool active = false;
    {
      std::lock_guard lock(p->list_mutex);
      active = p->list_watchers.contains(app.id());
    }
    co_return ok(contacts_and_groups_subscription_json(app.base(), active));
  });
  engine.add_route(routers, "POST", "/people/contactsAndGroupsSubscription", start);
  engine.add_route(routers, "POST", "/people/contactsAndGroupsSubscription/startOrRefreshSubscription",
                   start);
  engine.add_route(routers, "POST", "/people/contactsAndGroupsSubscription/stopSubscription", stop);
  engine.add_route(routers, "DELETE", "/people/contactsAndGroupsSubscription", stop);

  engine.add_route(routers, "GET", "/people/privacyRelationships",
                   [](http::Request&, Application& app) -> Awaitable {
    co_return ok(privacy_relationships_json(app.base()));
  });
}

// ---- presence subscriptions ------------------------------------------------------------------

std::vector<std::string> subscription_uris(const proto::ucwa::Body& body, bool required) {
  const auto list = body.strings("uris", kMaxUrisPerRequest, kMaxUriChars);
  if (!list) {
    if (required) throw ParameterValidationFailure("uris is required");
    return {};
  }
  std::vector<std::string> keys;
  for (const auto& u : *list) {
    auto key = contact_key(u, true);
    if (!key) throw ParameterValidationFailure("uris must hold sip:user@domain addresses");
    keys.push_back(std::move(*key));
  }
  return keys;
}

std::shared_ptr<Application> shared(People& p, const Application& app) {
  auto a = p.engine->find(app.id());
  if (!a) throw NotFound("the application is gone", "ApplicationNotFound");
  return a;
}

PresenceSubscription existing(People& p, const Application& app, http::Request& req) {
  auto s = p.subs.find(app.id(), req.params["id"]);
  if (!s) throw NotFound("no such presence subscription");
  return *s;
}

void register_subscription_routes(api::Engine& engine, http::SiteRouters& routers,
                                  const PeoplePtr& p) {
  using Clock = SubscriptionRegistry::Clock;

  engine.add_route(routers, "GET", "/people/presenceSubscriptions",
                   [p](http::Request&, Application& app) -> Awaitable {
    co_return ok(presence_subscriptions_json(app.base(), p->subs.list(app.id())));
  });

  engine.add_route(routers, "POST", "/people/presenceSubscriptions",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto body = body_of(req);
    const auto minutes = body.integer("duration", SubscriptionRegistry::kMinDuration,
                                      SubscriptionRegistry::kMaxDuration)
                             .value_or(SubscriptionRegistry::kMinDuration);
    const auto uris = subscription_uris(body, false);
    const auto self = shared(*p, app);
    PresenceSubscription s;
    {
      std::lock_guard lock(p->watch_mutex);
      s = p->subs.create(app.id(), uris, static_cast<unsigned>(minutes), Clock::now());
      watch_uris(p, self, s.id, s.uris);
    }
    auto res = http::Response::json(201, json::serialize(presence_subscription_json(app.base(), s)));
    res.headers.set("Location", presence_subscription_href(app.base(), s.id));
    co_return res;
  });

  engine.add_route(routers, "GET", "/people/presenceSubscriptions/{id}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    co_return ok(presence_subscription_json(app.base(), existing(*p, app, req)));
  });

  engine.add_route(routers, "POST", "/people/presenceSubscriptions/{id}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto body = body_of(req);
    const auto minutes = body.integer("duration", SubscriptionRegistry::kMinDuration,
                                      SubscriptionRegistry::kMaxDuration)
                             .value_or(SubscriptionRegistry::kMinDuration);
    (void)p->subs.extend(app.id(), req.params["id"], static_cast<unsigned>(minutes), Clock::now());
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "DELETE", "/people/presenceSubscriptions/{id}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    {
      std::lock_guard lock(p->watch_mutex);
      const auto s = p->subs.remove(app.id(), req.params["id"]);
      if (!s) throw NotFound("no such presence subscription");
      unwatch_uris(*p, app.id(), *s);
    }
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/people/presenceSubscriptions/{id}/memberships",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto s = existing(*p, app, req);
    co_return ok(subscription_memberships_json(app.base(), {}, &s));
  });

  engine.add_route(routers, "POST", "/people/presenceSubscriptions/{id}/memberships",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto body = body_of(req);
    const auto uris = subscription_uris(body, true);
    const auto self = shared(*p, app);
    {
      std::lock_guard lock(p->watch_mutex);
      const auto fresh = p->subs.add(app.id(), req.params["id"], uris);
      watch_uris(p, self, req.params["id"], fresh);
    }
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "DELETE", "/people/presenceSubscriptions/{id}/memberships/{sip}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto key = path_key(req);
    const std::string id = req.params["id"];
    {
      std::lock_guard lock(p->watch_mutex);
      if (!p->subs.remove_uri(app.id(), id, key))
        throw NotFound("the contact is not in this presence subscription");
      p->hub().unwatch(key, watcher_id(app.id(), id));
    }
    co_return http::Response::empty(204);
  });

  engine.add_route(routers, "GET", "/people/subscribedContacts",
                   [p](http::Request&, Application& app) -> Awaitable {
    std::vector<std::string> keys;
    for (const auto& s : p->subs.list(app.id()))
      for (const auto& u : s.uris)
        if (std::find(keys.begin(), keys.end(), u) == keys.end()) keys.push_back(u);
    auto op = lookup(p, keys);
    auto users = co_await std::move(op);
    co_return ok(contact_collection("subscribedContacts", app.href("/people/subscribedContacts"),
                                    contacts_of(app.base(), keys, users)));
  });

  engine.add_route(routers, "GET", "/people/presenceSubscriptionMemberships",
                   [p](http::Request&, Application& app) -> Awaitable {
    co_return ok(subscription_memberships_json(app.base(), p->subs.list(app.id()), nullptr));
  });
}

// ---- search and single contacts ----------------------------------------------------------------

void register_contact_routes(api::Engine& engine, http::SiteRouters& routers, const PeoplePtr& p) {
  engine.add_route(routers, "GET", "/people",
                   [](http::Request&, Application& app) -> Awaitable {
    co_return ok(people_resource(app));
  });

  engine.add_route(routers, "GET", "/people/search",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto query = query_value(req.query, "query");
    if (!query || query->empty() || proto::ucwa::utf8_length(*query) > 256)
      throw ParameterValidationFailure("query is required and holds at most 256 characters");
    std::size_t limit = kMaxSearchLimit;
    if (const auto l = query_value(req.query, "limit")) {
      const auto n = parse_positive(*l);
      if (!n || *n > static_cast<std::int64_t>(kMaxSearchLimit))
        throw ParameterValidationFailure("limit must be a number from 1 to 100");
      limit = static_cast<std::size_t>(*n);
    }
    auto* store = &p->store();
    // People paste SIP URIs as clients show them; the directory keys addresses without "sip:".
    std::string q = *query;
    if (q.size() > 4 && iequals(std::string_view(q).substr(0, 4), "sip:")) q.erase(0, 4);
    auto job = [store, q, limit] { return store->search_directory(q, limit + 1); };
    auto users = co_await p->pool().store(job);
    const bool more = users.size() > limit;
    if (more) users.resize(limit);
    json::array contacts;
    for (const auto& u : users) contacts.emplace_back(contact_json(app.base(), u));
    co_return ok(search_json(app.base(), q, limit, std::move(contacts), more));
  });

  engine.add_route(routers, "GET", "/people/{sip}",
                   [p](http::Request& req, Application& app) -> Awaitable {
    const auto key = path_key(req);
    auto* store = &p->store();
    const std::string owner = app.owner();
    // A contact outside the directory exists for the user only as an entry of her contact list.
    auto job = [store, owner, key] {
      auto user = store->find_user(key);
      bool listed = user.has_value();
      if (!listed)
        for (const auto& m : store->list_memberships(owner))
          if (m.contact_uri == key) listed = true;
      return std::make_pair(listed, std::move(user));
    };
    const auto [listed, user] = co_await p->pool().store(job);
    if (!listed) throw NotFound("no such contact");
    co_return ok(any_contact_json(app.base(), key, user));
  });

  using Builder = json::object (*)(std::string_view, std::string_view, const Snapshot&);
  const auto view = [&](const char* suffix, Builder build) {
    engine.add_route(routers, "GET", std::string("/people/{sip}/") + suffix,
                     [p, build](http::Request& req, Application& app) -> Awaitable {
      const auto key = path_key(req);
      co_return ok(build(app.base(), key, p->hub().get(key)));
    });
  };
  view("presence", &contact_presence_json);
  view("note", &contact_note_json);
  view("location", &contact_location_json);
  view("supportedModalities", &contact_modalities_json);
  engine.add_route(routers, "GET", "/people/{sip}/privacyRelationship",
                   [](http::Request& req, Application& app) -> Awaitable {
    co_return ok(contact_privacy_json(app.base(), path_key(req)));
  });
}

}  // namespace

void register_people_routes(api::Engine& engine, http::SiteRouters& routers) {
  const auto& cfg = engine.context().config->ucwa;
  SubscriptionRegistry::Limits limits;
  limits.max_subscriptions = cfg.max_presence_subscriptions;
  limits.max_contacts = cfg.max_subscribed_contacts;
  limits.minute = engine.scaled(std::chrono::minutes(1));
  auto p = std::make_shared<People>(engine, limits);

  // Literal paths first: "/people/{sip}" would otherwise take "/people/search" and the rest.
  register_list_routes(engine, routers, p);
  register_subscription_routes(engine, routers, p);
  register_contact_routes(engine, routers, p);

  engine.on_reset([p](Application& app) {
    {
      std::lock_guard lock(p->watch_mutex);
      for (const auto& s : p->subs.drop_application(app.id())) unwatch_uris(*p, app.id(), s);
    }
    std::lock_guard lock(p->list_mutex);
    p->list_watchers.erase(app.id());
  });

  engine.on_tick([p] {
    SubscriptionRegistry::Due due;
    {
      std::lock_guard lock(p->watch_mutex);
      due = p->subs.advance(SubscriptionRegistry::Clock::now());
      for (const auto& [app_id, s] : due.expired) unwatch_uris(*p, app_id, s);
    }
    for (const auto& [app_id, s] : due.warn) {
      if (auto app = p->engine->find(app_id))
        app->push(people_event(*app, "presenceSubscription",
                               presence_subscription_href(app->base(), s.id),
                               events::EventType::updated,
                               presence_subscription_json(app->base(), s)));
    }
    for (const auto& [app_id, s] : due.expired) {
      if (auto app = p->engine->find(app_id)) {
        auto e = people_event(*app, "presenceSubscription",
                              presence_subscription_href(app->base(), s.id),
                              events::EventType::deleted);
        e.in = events::Link{"presenceSubscriptions", app->href("/people/presenceSubscriptions"), ""};
        app->push(e);
      }
    }
  });
}

}  // namespace parley::presence
