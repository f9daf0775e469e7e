#include "presence/contact_json.hpp"

#include "proto/ucwa/body.hpp"

#include "common/text.hpp"

#include <cctype>

namespace parley::presence {

namespace json = boost::json;

namespace {

std::string href(std::string_view base, std::string_view suffix) {
  std::string h(base);
  h += suffix;
  return h;
}

json::object link(std::string h) {
  json::object o;
  o["href"] = std::move(h);
  return o;
}

void put_self(json::object& o, std::string self) {
  json::object l;
  l["self"] = link(std::move(self));
  o["_links"] = std::move(l);
}

std::string contact_href(std::string_view base, std::string_view key) {
  return href(base, "/people/") + std::string(key);
}

bool user_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '+' || c == '\'' || c == '~';
}

void put_phone(json::object& o, const char* name, const std::string& number) {
  auto t = tel_uri_of(number);
  if (!t.empty()) o[name] = std::move(t);
}

json::object contact_links(std::string_view base, std::string_view key) {
  const auto self = contact_href(base, key);
  json::object l;
  l["self"] = link(self);
  l["contactPresence"] = link(self + "/presence");
  l["contactNote"] = link(self + "/note");
  l["contactLocation"] = link(self + "/location");
  l["contactPhoto"] = link(href(base, "/photos/") + std::string(key));
  l["contactSupportedModalities"] = link(self + "/supportedModalities");
  l["contactPrivacyRelationship"] = link(self + "/privacyRelationship");
  return l;
}

std::string_view group_rel(const storage::ContactGroup& g) {
  if (g.kind == "pinned") return "pinnedGroup";
  if (g.kind == "default") return "defaultGroup";
  return "group";
}

json::object embedded_array(std::string_view rel, json::array items) {
  json::object e;
  e[rel] = std::move(items);
  return e;
}

}  // namespace

std::optional<std::string> contact_key(std::string_view uri, bool require_scheme) {
  if (uri.size() > kMaxUriChars) return std::nullopt;
  if (uri.size() >= 4 && iequals(uri.substr(0, 4), "sip:")) {
    uri.remove_prefix(4);
  } else if (require_scheme) {
    return std::nullopt;
  }
  const auto at = uri.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return std::nullopt;
  const auto user = uri.substr(0, at);
  const auto domain = lower(uri.substr(at + 1));
  for (char c : user)
    if (!user_char(c)) return std::nullopt;
  if (!is_dns_name(domain)) return std::nullopt;
  return lower(user) + "@" + domain;
}

std::string tel_uri_of(std::string_view number) {
  std::string digits;
  for (char c : number)
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '+' && digits.empty())) digits += c;
  if (digits.empty() || digits == "+") return {};
  return "tel:" + digits;
}

json::object people_resource(std::string_view base) {
  json::object o;
  o["rel"] = "people";
  json::object l;
  l["self"] = link(href(base, "/people"));
  l["presenceSubscriptions"] = link(href(base, "/people/presenceSubscriptions"));
  l["subscribedContacts"] = link(href(base, "/people/subscribedContacts"));
  l["presenceSubscriptionMemberships"] = link(href(base, "/people/presenceSubscriptionMemberships"));
  l["myGroups"] = link(href(base, "/people/groups"));
  l["myGroupMemberships"] = link(href(base, "/people/groupMemberships"));
  l["myContacts"] = link(href(base, "/people/contacts"));
  l["myPrivacyRelationships"] = link(href(base, "/people/privacyRelationships"));
  l["myContactsAndGroupsSubscription"] = link(href(base, "/people/contactsAndGroupsSubscription"));
  l["search"] = link(href(base, "/people/search"));
  o["_links"] = std::move(l);
  return o;
}

json::object contact_json(std::string_view base, const storage::User& user) {
  const auto& p = user.profile;
  json::object o;
  o["rel"] = "contact";
  o["uri"] = "sip:" + user.sip_uri;
  o["name"] = p.display_name.empty() ? user.sip_uri : p.display_name;
  json::array emails;
  if (!p.email.empty()) emails.emplace_back(p.email);
  o["emailAddresses"] = std::move(emails);
  o["type"] = "User";
  o["sourceNetwork"] = "SameEnterprise";
  if (!p.title.empty()) o["title"] = p.title;
  if (!p.department.empty()) o["department"] = p.department;
  if (!p.office.empty()) o["office"] = p.office;
  put_phone(o, "workPhoneNumber", p.phones.work);
  put_phone(o, "mobilePhoneNumber", p.phones.mobile);
  put_phone(o, "homePhoneNumber", p.phones.home);
  put_phone(o, "otherPhoneNumber", p.phones.other);
  o["_links"] = contact_links(base, user.sip_uri);
  return o;
}

json::object federated_contact_json(std::string_view base, std::string_view key) {
  json::object o;
  o["rel"] = "contact";
  o["uri"] = "sip:" + std::string(key);
  o["name"] = "sip:" + std::string(key);
  o["emailAddresses"] = json::array{};
  o["type"] = "User";
  o["sourceNetwork"] = "Federated";
  o["_links"] = contact_links(base, key);
  return o;
}

json::object any_contact_json(std::string_view base, std::string_view key,
                              const std::optional<storage::User>& user) {
  return user ? contact_json(base, *user) : federated_contact_json(base, key);
}

json::object contact_presence_json(std::string_view base, std::string_view key, const Snapshot& s) {
  json::object o;
  o["rel"] = "contactPresence";
  o["availability"] = to_string(s.aggregate.availability);
  o["activity"] = s.aggregate.activity.empty()
                      ? std::string(activity_token(s.aggregate.availability))
                      : s.aggregate.activity;
  o["deviceType"] = to_string(s.aggregate.device_type);
  o["lastActive"] = s.aggregate.last_active_unix;
  put_self(o, contact_href(base, key) + "/presence");
  return o;
}

json::object contact_note_json(std::string_view base, std::string_view key, const Snapshot& s) {
  json::object o;
  o["rel"] = "contactNote";
  o["message"] = s.note;
  o["type"] = "Personal";
  put_self(o, contact_href(base, key) + "/note");
  return o;
}

json::object contact_location_json(std::string_view base, std::string_view key, const Snapshot& s) {
  json::object o;
  o["rel"] = "contactLocation";
  o["location"] = s.location;
  put_self(o, contact_href(base, key) + "/location");
  return o;
}

json::object contact_modalities_json(std::string_view base, std::string_view key,
                                     const Snapshot& s) {
  json::object o;
  o["rel"] = "contactSupportedModalities";
  json::array m;
  if (s.aggregate.availability != Availability::Offline) m.emplace_back("Messaging");
  o["modalities"] = std::move(m);
  put_self(o, contact_href(base, key) + "/supportedModalities");
  return o;
}

json::object contact_privacy_json(std::string_view base, std::string_view key) {
  json::object o;
  o["rel"] = "contactPrivacyRelationship";
  o["privacyRelationship"] = "Colleagues";
  put_self(o, contact_href(base, key) + "/privacyRelationship");
  return o;
}

json::object contact_collection(std::string_view rel, std::string self_href, json::array contacts) {
  json::object o;
  o["rel"] = rel;
  put_self(o, std::move(self_href));
  o["_embedded"] = embedded_array("contact", std::move(contacts));
  return o;
}

json::object search_json(std::string_view base, std::string_view query, std::size_t limit,
                         json::array contacts, bool more_results) {
  json::object o;
  o["rel"] = "search";
  o["moreResultsAvailable"] = more_results;
  put_self(o, href(base, "/people/search?query=") + percent_encode(query) +
                  "&limit=" + std::to_string(limit));
  o["_embedded"] = embedded_array("contact", std::move(contacts));
  return o;
}

std::string group_etag(const storage::ContactGroup& g) {
  return std::to_string(std::hash<std::string>{}(std::to_string(g.id) + "/" + g.name));
}

json::object group_json(std::string_view base, const storage::ContactGroup& g) {
  const auto self = href(base, "/people/groups/") + std::to_string(g.id);
  json::object o;
  o["rel"] = group_rel(g);
  o["id"] = std::to_string(g.id);
  o["name"] = g.name;
  if (g.kind == "user") {  // only groups of the user's own can be renamed (PUT)
    o[proto::ucwa::put_property_name()] = proto::ucwa::kPutPropertyValue;
    o["etag"] = group_etag(g);
  }
  json::object l;
  l["self"] = link(self);
  l["groupContacts"] = link(self + "/contacts");
  o["_links"] = std::move(l);
  return o;
}

json::object my_groups_json(std::string_view base, const std::vector<storage::ContactGroup>& groups) {
  json::object o;
  o["rel"] = "myGroups";
  put_self(o, href(base, "/people/groups"));
  json::object e;
  json::array others;
  for (const auto& g : groups) {
    const auto rel = group_rel(g);
    if (rel == "group") {
      others.emplace_back(group_json(base, g));
    } else {
      e[rel] = group_json(base, g);
    }
  }
  e["group"] = std::move(others);
  o["_embedded"] = std::move(e);
  return o;
}

std::string group_membership_href(std::string_view base, std::int64_t group_id,
                                  std::string_view key) {
  return href(base, "/people/groupMemberships/") + std::to_string(group_id) + "/" +
         std::string(key);
}

json::object group_membership_json(std::string_view base, const storage::GroupMembership& m) {
  json::object o;
  o["rel"] = "groupMembership";
  json::object l;
  l["self"] = link(group_membership_href(base, m.group_id, m.contact_uri));
  l["contact"] = link(contact_href(base, m.contact_uri));
  l["group"] = link(href(base, "/people/groups/") + std::to_string(m.group_id));
  o["_links"] = std::move(l);
  return o;
}

json::object my_group_memberships_json(std::string_view base,
                                       const std::vector<storage::GroupMembership>& ms) {
  json::object o;
  o["rel"] = "myGroupMemberships";
  put_self(o, href(base, "/people/groupMemberships"));
  json::array items;
  for (const auto& m : ms) items.emplace_back(group_membership_json(base, m));
  o["_embedded"] = embedded_array("groupMembership", std::move(items));
  return o;
}

json::object contacts_and_groups_subscription_json(std::string_view base, bool active) {
  const auto self = href(base, "/people/contactsAndGroupsSubscription");
  json::object o;
  o["rel"] = "myContactsAndGroupsSubscription";
  o["state"] = active ? "Active" : "Inactive";
  json::object l;
  l["self"] = link(self);
  l["startOrRefreshSubscription"] = link(self + "/startOrRefreshSubscription");
  l["stopSubscription"] = link(self + "/stopSubscription");
  o["_links"] = std::move(l);
  return o;
}

json::object privacy_relationships_json(std::string_view base) {
  json::object o;
  o["rel"] = "myPrivacyRelationships";
  put_self(o, href(base, "/people/privacyRelationships"));
  return o;
}

std::string presence_subscription_href(std::string_view base, std::string_view id) {
  return href(base, "/people/presenceSubscriptions/") + std::string(id);
}

json::object presence_subscription_json(std::string_view base, const PresenceSubscription& s) {
  const auto self = presence_subscription_href(base, s.id);
  json::object o;
  o["rel"] = "presenceSubscription";
  o["id"] = s.id;
  o["duration"] = s.duration;
  json::array uris;
  for (const auto& u : s.uris) uris.emplace_back("sip:" + u);
  o["uris"] = std::move(uris);
  json::object l;
  l["self"] = link(self);
  l["memberships"] = link(self + "/memberships");
  l["addToPresenceSubscription"] = link(self + "/memberships");
  o["_links"] = std::move(l);
  return o;
}

json::object presence_subscriptions_json(std::string_view base,
                                         const std::vector<PresenceSubscription>& subs) {
  json::object o;
  o["rel"] = "presenceSubscriptions";
  put_self(o, href(base, "/people/presenceSubscriptions"));
  json::array items;
  for (const auto& s : subs) items.emplace_back(presence_subscription_json(base, s));
  o["_embedded"] = embedded_array("presenceSubscription", std::move(items));
  return o;
}

json::object subscription_memberships_json(std::string_view base,
                                           const std::vector<PresenceSubscription>& subs,
                                           const PresenceSubscription* sub) {
  json::object o;
  json::array items;
  const auto add = [&](const PresenceSubscription& s) {
    const auto sub_href = presence_subscription_href(base, s.id);
    for (const auto& u : s.uris) {
      json::object m;
      m["rel"] = "presenceSubscriptionMembership";
      json::object l;
      l["self"] = link(sub_href + "/memberships/" + u);
      l["contact"] = link(contact_href(base, u));
      l["presenceSubscription"] = link(sub_href);
      m["_links"] = std::move(l);
      items.emplace_back(std::move(m));
    }
  };
  if (sub) {
    o["rel"] = "memberships";
    put_self(o, presence_subscription_href(base, sub->id) + "/memberships");
    add(*sub);
  } else {
    o["rel"] = "presenceSubscriptionMemberships";
    put_self(o, href(base, "/people/presenceSubscriptionMemberships"));
    for (const auto& s : subs) add(s);
  }
  o["_embedded"] = embedded_array("presenceSubscriptionMembership", std::move(items));
  return o;
}

}  // namespace parley::presence
