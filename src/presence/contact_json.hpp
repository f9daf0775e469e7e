#pragma once
// JSON representations of the UCWA `people` resources (UCWA.md §5.2): contacts, their presence,
// note and location, contact groups and memberships, search results and presence subscriptions.
// Pure builders: every href is the application's base ("/ucwa/oauth/v1/applications/105")
// followed by the resource's suffix, so they can be tested without an engine.
//
// Contacts are named by their "key": the SIP address without "sip:", lower-case
// ("bob@example.org"), which is also how the store and the presence hub name users.

#include "presence/hub.hpp"
#include "presence/subscriptions.hpp"
#include "storage/store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::presence {

inline constexpr std::size_t kMaxUriChars = 256;

// "sip:Bob@Example.org" or "bob@example.org" -> "bob@example.org". nullopt when the text is not a
// user@domain address (user part of letters, digits and . _ - + ' ~; a DNS domain), is longer
// than kMaxUriChars, or, with `require_scheme`, lacks the "sip:" prefix.
std::optional<std::string> contact_key(std::string_view uri, bool require_scheme = false);

// "tel:+14255550100" from a directory number ("+1 (425) 555-0100"); empty stays empty.
std::string tel_uri_of(std::string_view number);

// The `people` resource's link set (UCWA.md §5.2), as the application resource embeds it.
boost::json::object people_resource(std::string_view base);
template <class App>
  requires requires(const App& a) { a.base(); }
boost::json::object people_resource(const App& app) {
  return people_resource(std::string_view(app.base()));
}

// A directory user as a `contact` (sourceNetwork SameEnterprise).
boost::json::object contact_json(std::string_view base, const storage::User& user);
// An address outside the directory (a federated contact in a contact list).
boost::json::object federated_contact_json(std::string_view base, std::string_view key);
// The directory entry when there is one, else the federated form.
boost::json::object any_contact_json(std::string_view base, std::string_view key,
                                     const std::optional<storage::User>& user);

boost::json::object contact_presence_json(std::string_view base, std::string_view key,
                                          const Snapshot& s);
boost::json::object contact_note_json(std::string_view base, std::string_view key,
                                      const Snapshot& s);
boost::json::object contact_location_json(std::string_view base, std::string_view key,
                                          const Snapshot& s);
// Messaging while the contact is signed in (not Offline), nothing otherwise.
boost::json::object contact_modalities_json(std::string_view base, std::string_view key,
                                            const Snapshot& s);
boost::json::object contact_privacy_json(std::string_view base, std::string_view key);

// {"rel": rel, "_links":{"self"}, "_embedded":{"contact":[...]}}; `contact` is always an array.
boost::json::object contact_collection(std::string_view rel, std::string self_href,
                                       boost::json::array contacts);
boost::json::object search_json(std::string_view base, std::string_view query, std::size_t limit,
                                boost::json::array contacts, bool more_results);

// Groups: rel pinnedGroup / defaultGroup / group by kind.
// The etag of a group's representation (changes with its name).
std::string group_etag(const storage::ContactGroup& g);
boost::json::object group_json(std::string_view base, const storage::ContactGroup& g);
boost::json::object my_groups_json(std::string_view base,
                                   const std::vector<storage::ContactGroup>& groups);
std::string group_membership_href(std::string_view base, std::int64_t group_id,
                                  std::string_view key);
boost::json::object group_membership_json(std::string_view base, const storage::GroupMembership& m);
boost::json::object my_group_memberships_json(std::string_view base,
                                              const std::vector<storage::GroupMembership>& ms);
boost::json::object contacts_and_groups_subscription_json(std::string_view base, bool active);
boost::json::object privacy_relationships_json(std::string_view base);

// Presence subscriptions.
std::string presence_subscription_href(std::string_view base, std::string_view id);
boost::json::object presence_subscription_json(std::string_view base, const PresenceSubscription& s);
boost::json::object presence_subscriptions_json(std::string_view base,
                                                const std::vector<PresenceSubscription>& subs);
// `memberships` of one subscription, or with `sub` null the flattened
// presenceSubscriptionMemberships of all of `subs`.
boost::json::object subscription_memberships_json(std::string_view base,
                                                  const std::vector<PresenceSubscription>& subs,
                                                  const PresenceSubscription* sub);

}  // namespace parley::presence
