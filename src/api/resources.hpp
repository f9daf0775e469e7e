#pragma once
// JSON representations of the application-level UCWA resources (UCWA.md §3.1, §5.1, §5.3, §5.9),
// built from engine state. Property names are spelled as UCWA spells them.

#include "api/engine.hpp"
#include "presence/hub.hpp"
#include "storage/store.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>

namespace parley::api {

boost::json::object link(std::string href);
// "\/Date(ms)\/" in ASP.NET AJAX form (UCWA.md §0), as the string Boost.JSON will escape.
std::string ucwa_date(std::int64_t ms_since_epoch);

std::string events_href(const Application& app, std::string_view instance_id, std::uint64_t ack = 1);

// The application resource with its embedded me / people / onlineMeetings / communication;
// `me` is in lurker form until makeMeAvailable.
boost::json::object application_json(const Application& app, const storage::User& user,
                                     std::string_view instance_id);
boost::json::object me_json(const Application& app, const storage::User& user);
boost::json::object people_json(const Application& app);
boost::json::object communication_json(const Application& app);
boost::json::object online_meetings_json(const Application& app);
boost::json::object presence_json(const Application& app, const presence::Snapshot& s);
boost::json::object note_json(const Application& app, const presence::Snapshot& s);
boost::json::object location_json(const Application& app, const presence::Snapshot& s);
boost::json::object phones_json(const Application& app, const storage::User& user);

// "tel:+14255550100" from what the directory holds ("+1 425 555 0100"); empty stays empty.
std::string tel_uri(std::string_view number);

}  // namespace parley::api
