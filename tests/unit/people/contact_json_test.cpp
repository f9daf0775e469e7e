#include "presence/contact_json.hpp"

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace parley::presence {
namespace {

namespace json = boost::json;

constexpr std::string_view kBase = "/ucwa/oauth/v1/applications/105";

std::string href_of(const json::object& o, std::string_view rel) {
  return std::string(o.at("_links").as_object().at(rel).as_object().at("href").as_string());
}

storage::User bob() {
  storage::User u;
  u.sip_uri = "bob@example.org";
  u.profile.display_name = "Bob Builder";
  u.profile.email = "bob@example.org";
  u.profile.title = "Engineer";
  u.profile.department = "R&D";
  u.profile.office = "B2";
  u.profile.phones.work = "+1 (425) 555-0100";
  return u;
}

TEST(ContactKey, AcceptsBothFormsAndLowerCases) {
  EXPECT_EQ(contact_key("sip:Bob@Example.ORG"), "bob@example.org");
  EXPECT_EQ(contact_key("SIP:bob@example.org"), "bob@example.org");
  EXPECT_EQ(contact_key("bob.o'neil+x@example.org"), "bob.o'neil+x@example.org");
}

TEST(ContactKey, RefusesWhatIsNotAUserAtDomain) {
  EXPECT_FALSE(contact_key(""));
  EXPECT_FALSE(contact_key("sip:"));
  EXPECT_FALSE(contact_key("bob"));
  EXPECT_FALSE(contact_key("@example.org"));
  EXPECT_FALSE(contact_key("bob@"));
  EXPECT_FALSE(contact_key("bob@exa mple.org"));
  EXPECT_FALSE(contact_key("b/ob@example.org"));
  EXPECT_FALSE(contact_key("bob@a@example.org"));
  EXPECT_FALSE(contact_key("tel:+14255550100"));
  EXPECT_FALSE(contact_key("sip:bob@" + std::string(300, 'a') + ".org"));
}

TEST(ContactKey, SchemeCanBeRequired) {
  EXPECT_FALSE(contact_key("bob@example.org", true));
  EXPECT_EQ(contact_key("sip:bob@example.org", true), "bob@example.org");
}

TEST(ContactJson, DirectoryUserHasProfileAndLinks) {
  const auto o = contact_json(kBase, bob());
  EXPECT_EQ(o.at("rel"), "contact");
  EXPECT_EQ(o.at("uri"), "sip:bob@example.org");
  EXPECT_EQ(o.at("name"), "Bob Builder");
  EXPECT_EQ(o.at("type"), "User");
  EXPECT_EQ(o.at("sourceNetwork"), "SameEnterprise");
  EXPECT_EQ(o.at("title"), "Engineer");
  EXPECT_EQ(o.at("department"), "R&D");
  EXPECT_EQ(o.at("office"), "B2");
  EXPECT_EQ(o.at("workPhoneNumber"), "tel:+14255550100");
  EXPECT_FALSE(o.contains("mobilePhoneNumber"));
  ASSERT_TRUE(o.at("emailAddresses").is_array());
  EXPECT_EQ(o.at("emailAddresses").as_array().at(0), "bob@example.org");
  const std::string self = std::string(kBase) + "/people/bob@example.org";
  EXPECT_EQ(href_of(o, "self"), self);
  EXPECT_EQ(href_of(o, "contactPresence"), self + "/presence");
  EXPECT_EQ(href_of(o, "contactNote"), self + "/note");
  EXPECT_EQ(href_of(o, "contactLocation"), self + "/location");
  EXPECT_EQ(href_of(o, "contactSupportedModalities"), self + "/supportedModalities");
  EXPECT_EQ(href_of(o, "contactPrivacyRelationship"), self + "/privacyRelationship");
  EXPECT_EQ(href_of(o, "contactPhoto"), std::string(kBase) + "/photos/bob@example.org");
}

TEST(ContactJson, ExternalAddressIsFederated) {
  const auto o = any_contact_json(kBase, "carol@partner.example", std::nullopt);
  EXPECT_EQ(o.at("uri"), "sip:carol@partner.example");
  EXPECT_EQ(o.at("name"), "sip:carol@partner.example");
  EXPECT_EQ(o.at("sourceNetwork"), "Federated");
  EXPECT_EQ(o.at("type"), "User");
  EXPECT_TRUE(o.at("emailAddresses").as_array().empty());
}

TEST(ContactJson, PresenceCarriesLastActiveAsPosixNumber) {
  Snapshot s;
  s.aggregate.availability = Availability::Busy;
  s.aggregate.activity = "Busy";
  s.aggregate.device_type = DeviceType::Mobile;
  s.aggregate.last_active_unix = 1364327898;
  const auto o = contact_presence_json(kBase, "bob@example.org", s);
  EXPECT_EQ(o.at("rel"), "contactPresence");
  EXPECT_EQ(o.at("availability"), "Busy");
  EXPECT_EQ(o.at("activity"), "Busy");
  EXPECT_EQ(o.at("deviceType"), "Mobile");
  ASSERT_TRUE(o.at("lastActive").is_int64());
  EXPECT_EQ(o.at("lastActive").as_int64(), 1364327898);
  EXPECT_EQ(href_of(o, "self"), std::string(kBase) + "/people/bob@example.org/presence");
}

TEST(ContactJson, ModalitiesOnlyWhileSignedIn) {
  Snapshot s;
  s.aggregate.availability = Availability::Offline;
  EXPECT_TRUE(contact_modalities_json(kBase, "bob@example.org", s).at("modalities").as_array().empty());
  s.aggregate.availability = Availability::Away;
  const auto m = contact_modalities_json(kBase, "bob@example.org", s).at("modalities").as_array();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m.at(0), "Messaging");
}

TEST(ContactJson, NoteAndLocation) {
  Snapshot s;
  s.note = "at lunch";
  s.location = "Building 2";
  const auto n = contact_note_json(kBase, "bob@example.org", s);
  EXPECT_EQ(n.at("rel"), "contactNote");
  EXPECT_EQ(n.at("message"), "at lunch");
  EXPECT_EQ(n.at("type"), "Personal");
  const auto l = contact_location_json(kBase, "bob@example.org", s);
  EXPECT_EQ(l.at("rel"), "contactLocation");
  EXPECT_EQ(l.at("location"), "Building 2");
}

TEST(PeopleResource, LinksEveryCollection) {
  const auto o = people_resource(kBase);
  EXPECT_EQ(o.at("rel"), "people");
  const std::string people = std::string(kBase) + "/people";
  EXPECT_EQ(href_of(o, "self"), people);
  EXPECT_EQ(href_of(o, "presenceSubscriptions"), people + "/presenceSubscriptions");
  EXPECT_EQ(href_of(o, "subscribedContacts"), people + "/subscribedContacts");
  EXPECT_EQ(href_of(o, "presenceSubscriptionMemberships"), people + "/presenceSubscriptionMemberships");
  EXPECT_EQ(href_of(o, "myGroups"), people + "/groups");
  EXPECT_EQ(href_of(o, "myGroupMemberships"), people + "/groupMemberships");
  EXPECT_EQ(href_of(o, "myContacts"), people + "/contacts");
  EXPECT_EQ(href_of(o, "myPrivacyRelationships"), people + "/privacyRelationships");
  EXPECT_EQ(href_of(o, "myContactsAndGroupsSubscription"), people + "/contactsAndGroupsSubscription");
  EXPECT_EQ(href_of(o, "search"), people + "/search");
}

TEST(SearchJson, ContactIsAlwaysAnArray) {
  json::array one;
  one.emplace_back(contact_json(kBase, bob()));
  const auto o = search_json(kBase, "bob b", 1, std::move(one), true);
  EXPECT_EQ(o.at("rel"), "search");
  EXPECT_EQ(o.at("moreResultsAvailable"), true);
  ASSERT_TRUE(o.at("_embedded").as_object().at("contact").is_array());
  EXPECT_EQ(o.at("_embedded").as_object().at("contact").as_array().size(), 1u);
  EXPECT_EQ(href_of(o, "self"), std::string(kBase) + "/people/search?query=bob%20b&limit=1");

  const auto empty = search_json(kBase, "zz", 100, {}, false);
  EXPECT_EQ(empty.at("moreResultsAvailable"), false);
  EXPECT_TRUE(empty.at("_embedded").as_object().at("contact").is_array());
}

TEST(GroupsJson, BuiltInGroupsHaveTheirOwnRels) {
  const std::vector<storage::ContactGroup> groups{
      {1, "Favorites", "pinned"}, {2, "Other Contacts", "default"}, {7, "Team", "user"}};
  const auto o = my_groups_json(kBase, groups);
  EXPECT_EQ(o.at("rel"), "myGroups");
  const auto& e = o.at("_embedded").as_object();
  EXPECT_EQ(e.at("pinnedGroup").as_object().at("rel"), "pinnedGroup");
  EXPECT_EQ(e.at("pinnedGroup").as_object().at("id"), "1");
  EXPECT_EQ(e.at("defaultGroup").as_object().at("name"), "Other Contacts");
  ASSERT_TRUE(e.at("group").is_array());
  ASSERT_EQ(e.at("group").as_array().size(), 1u);
  const auto& team = e.at("group").as_array().at(0).as_object();
  EXPECT_EQ(team.at("rel"), "group");
  EXPECT_EQ(href_of(team, "self"), std::string(kBase) + "/people/groups/7");
  EXPECT_EQ(href_of(team, "groupContacts"), std::string(kBase) + "/people/groups/7/contacts");
}

TEST(GroupsJson, MembershipLinksContactAndGroup) {
  const auto o = my_group_memberships_json(kBase, {{"bob@example.org", 2, 0}});
  EXPECT_EQ(o.at("rel"), "myGroupMemberships");
  const auto& items = o.at("_embedded").as_object().at("groupMembership").as_array();
  ASSERT_EQ(items.size(), 1u);
  const auto& m = items.at(0).as_object();
  EXPECT_EQ(m.at("rel"), "groupMembership");
  EXPECT_EQ(href_of(m, "contact"), std::string(kBase) + "/people/bob@example.org");
  EXPECT_EQ(href_of(m, "group"), std::string(kBase) + "/people/groups/2");
  EXPECT_EQ(href_of(m, "self"), std::string(kBase) + "/people/groupMemberships/2/bob@example.org");
}

TEST(SubscriptionJson, HasIdDurationAndLinks) {
  PresenceSubscription s;
  s.id = "3";
  s.duration = 10;
  s.uris = {"bob@example.org", "carol@example.org"};
  const auto o = presence_subscription_json(kBase, s);
  const std::string self = std::string(kBase) + "/people/presenceSubscriptions/3";
  EXPECT_EQ(o.at("rel"), "presenceSubscription");
  EXPECT_EQ(o.at("id"), "3");
  EXPECT_EQ(o.at("duration").to_number<int>(), 10);
  EXPECT_EQ(o.at("uris").as_array().at(1), "sip:carol@example.org");
  EXPECT_EQ(href_of(o, "self"), self);
  EXPECT_EQ(href_of(o, "memberships"), self + "/memberships");
  EXPECT_EQ(href_of(o, "addToPresenceSubscription"), self + "/memberships");

  PresenceSubscription t;
  t.id = "4";
  t.uris = {"dave@example.org"};
  const auto all = subscription_memberships_json(kBase, {s, t}, nullptr);
  EXPECT_EQ(all.at("rel"), "presenceSubscriptionMemberships");
  const auto& items = all.at("_embedded").as_object().at("presenceSubscriptionMembership").as_array();
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(href_of(items.at(2).as_object(), "contact"),
            std::string(kBase) + "/people/dave@example.org");
  const auto one = subscription_memberships_json(kBase, {}, &t);
  EXPECT_EQ(one.at("rel"), "memberships");
  EXPECT_EQ(one.at("_embedded").as_object().at("presenceSubscriptionMembership").as_array().size(), 1u);
}

}  // namespace
}  // namespace parley::presence
