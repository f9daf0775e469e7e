#include "api/resources.hpp"

#include "api/application_state.hpp"
#include "common/text.hpp"
#include "presence/contact_json.hpp"
#include "proto/ucwa/body.hpp"

#include <boost/json/array.hpp>

#include <cctype>

namespace parley::api {

namespace json = boost::json;

json::object link(std::string href) {
  json::object o;
  o["href"] = std::move(href);
  return o;
}

std::string ucwa_date(std::int64_t ms) { return "/Date(" + std::to_string(ms) + ")/"; }

std::string events_href(const Application& app, std::string_view instance_id, std::uint64_t ack) {
  std::string h = app.href("/events?ack=" + std::to_string(ack));
  if (!instance_id.empty()) h += "&instanceId=" + percent_encode(instance_id);
  return h;
}

namespace {

void put_links(json::object& o, std::initializer_list<std::pair<const char*, std::string>> links) {
  json::object l;
  for (const auto& [rel, href] : links) l[rel] = link(href);
  o["_links"] = std::move(l);
}

void put_phone(json::object& o, const char* name, const std::string& number) {
  auto t = presence::tel_uri_of(number);
  if (!t.empty()) o[name] = std::move(t);
}

}  // namespace

json::object me_json(const Application& app, const storage::User& user) {
  json::object o;
  o["rel"] = "me";
  o["name"] = user.profile.display_name.empty() ? user.sip_uri : user.profile.display_name;
  o["uri"] = "sip:" + user.sip_uri;
  json::array emails;
  if (!user.profile.email.empty()) emails.emplace_back(user.profile.email);
  o["emailAddresses"] = std::move(emails);
  if (!user.profile.title.empty()) o["title"] = user.profile.title;
  if (!user.profile.department.empty()) o["department"] = user.profile.department;
  if (!user.profile.office.empty()) o["officeLocation"] = user.profile.office;
  put_phone(o, "workPhoneNumber", user.profile.phones.work);
  put_phone(o, "mobilePhoneNumber", user.profile.phones.mobile);
  put_phone(o, "homePhoneNumber", user.profile.phones.home);
  put_phone(o, "otherPhoneNumber", user.profile.phones.other);
  json::object l;
  l["self"] = link(app.href("/me"));
  if (app.available()) {
    l["presence"] = link(app.href("/me/presence"));
    l["note"] = link(app.href("/me/note"));
    l["location"] = link(app.href("/me/location"));
    l["reportMyActivity"] = link(app.href("/me/reportMyActivity"));
  } else {
    l["makeMeAvailable"] = link(app.href("/me/makeMeAvailable"));
  }
  l["phones"] = link(app.href("/me/phones"));
  l["photo"] = link(app.href("/photos/" + user.sip_uri));
  o["_links"] = std::move(l);
  return o;
}

json::object people_json(const Application& app) { return presence::people_resource(app); }

json::object communication_json(const Application& app) {
  auto& p = app.state();
  json::object o;
  o["rel"] = "communication";
  o[proto::ucwa::put_property_name()] = proto::ucwa::kPutPropertyValue;
  json::array modalities, formats;
  std::string phone, audio;
  std::uint64_t etag = 0;
  {
    std::lock_guard lock(p.mutex);
    for (const auto& m : p.availability.modalities) modalities.emplace_back(m);
    for (const auto& f : p.availability.message_formats) formats.emplace_back(f);
    if (p.availability.message_formats.empty()) formats.emplace_back("Plain");
    phone = p.availability.phone_number;
    audio = p.availability.audio_preference;
    etag = p.communication_etag;
  }
  o["supportedModalities"] = std::move(modalities);
  o["supportedMessageFormats"] = std::move(formats);
  if (!phone.empty()) o["phoneNumber"] = phone;
  o["audioPreference"] = audio;
  o["etag"] = std::to_string(etag);
  put_links(o, {{"self", app.href("/communication")},
                {"conversations", app.href("/communication/conversations?filter=active")},
                {"startMessaging", app.href("/communication/messagingInvitations")},
                {"startAudioVideo", app.href("/communication/audioVideoInvitations")},
                {"startVideo", app.href("/communication/audioVideoInvitations")},
                {"startAudio", app.href("/communication/audioVideoInvitations?modality=Audio")},
                {"conversationLogs", app.href("/communication/conversationLogs")},
                {"missedItems", app.href("/communication/missedItems")},
                {"mediaRelayAccessToken", app.href("/mediaRelayAccessToken")}});
  return o;
}

json::object online_meetings_json(const Application& app) {
  json::object o;
  o["rel"] = "onlineMeetings";
  put_links(o, {{"self", app.href("/onlineMeetings")}});
  return o;
}

json::object application_json(const Application& app, const storage::User& user,
                              std::string_view instance_id) {
  json::object o;
  o["rel"] = "application";
  o["id"] = app.id();
  o["culture"] = app.culture();
  o["userAgent"] = app.user_agent();
  o["endpointId"] = app.endpoint_id();
  if (!app.type().empty()) o["type"] = app.type();
  if (!instance_id.empty()) o["instanceId"] = std::string(instance_id);
  put_links(o, {{"self", app.href("")},
                {"policies", app.href("/policies")},
                {"batch", app.href("/batch")},
                {"events", events_href(app, instance_id)},
                {"reportMyNetwork", app.href("/reportMyNetwork")},
                {"pushNotificationRegistration", app.href("/pushNotificationRegistration")}});
  json::object embedded;
  embedded["me"] = me_json(app, user);
  embedded["people"] = people_json(app);
  embedded["onlineMeetings"] = online_meetings_json(app);
  embedded["communication"] = communication_json(app);
  o["_embedded"] = std::move(embedded);
  return o;
}

json::object presence_json(const Application& app, const presence::Snapshot& s) {
  json::object o;
  o["rel"] = "presence";
  o["availability"] = std::string(presence::to_string(s.aggregate.availability));
  o["activity"] = s.aggregate.activity;
  put_links(o, {{"self", app.href("/me/presence")}});
  return o;
}

json::object note_json(const Application& app, const presence::Snapshot& s) {
  json::object o;
  o["rel"] = "note";
  o["message"] = s.note;
  o["type"] = "Personal";
  put_links(o, {{"self", app.href("/me/note")}});
  return o;
}

json::object location_json(const Application& app, const presence::Snapshot& s) {
  json::object o;
  o["rel"] = "location";
  o["location"] = s.location;
  put_links(o, {{"self", app.href("/me/location")}});
  return o;
}

json::object phones_json(const Application& app, const storage::User& user) {
  json::object o;
  o["rel"] = "phones";
  put_links(o, {{"self", app.href("/me/phones")}});
  json::array phones;
  auto add = [&](const char* type, const std::string& number) {
    const auto t = presence::tel_uri_of(number);
    if (t.empty()) return;
    json::object ph;
    ph["rel"] = "phone";
    ph["number"] = t;
    ph["type"] = type;
    ph["includeInContactCard"] = true;
    phones.emplace_back(std::move(ph));
  };
  add("Work", user.profile.phones.work);
  add("Mobile", user.profile.phones.mobile);
  add("Home", user.profile.phones.home);
  add("Other", user.profile.phones.other);
  json::object embedded;
  embedded["phone"] = std::move(phones);
  o["_embedded"] = std::move(embedded);
  return o;
}

}  // namespace parley::api
