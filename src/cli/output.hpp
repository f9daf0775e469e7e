#pragma once
// How the CLI shows things: server JSON pretty-printed for --json, and the human forms of a
// user and a user list. Text from the server is made terminal-safe before it is shown.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

namespace parley::cli {

// Indented by two spaces, members in the server's order, ending with a newline.
std::string pretty_json(const boost::json::value& v);

// One "key: value" line per property, values aligned; phones flattened to phoneWork etc.
std::string format_user_details(const boost::json::object& user);

// An aligned table (SIP URI, display name, enabled, department) and a count line. `more` says
// that the list was cut short by --limit.
std::string format_user_table(const boost::json::array& users, bool more = false);

}  // namespace parley::cli
