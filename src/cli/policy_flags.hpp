#pragma once
// The command-line face of policy and service-configuration fields (policy/policy.hpp): each
// cmdlet parameter becomes one flag (RequireWIFIForIPVideo → --require-wifi-for-ip-video), its
// value typed the way the admin API wants it, plus the plain-text tables the policy, config,
// session and audit verbs print. Pure: no I/O.

#include "policy/policy.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

// Kebab case of a cmdlet parameter name, without the leading dashes. An upper-case run is one
// word ("IP", "WIFI", "URL"), and "WiFi" is spelled as one word too, so RequireWiFiForSharing
// and RequireWIFIForIPVideo read alike.
std::string flag_name(std::string_view cmdlet_name);

// The field a user named, by cmdlet name or by flag (with or without "--"), ignoring case;
// null when the kind has no such field.
const policy::FieldSpec* find_field(policy::Kind kind, std::string_view name);

// The JSON value for a flag's text: true/false for booleans, a whole number for integers
// (the server checks the range, so an out-of-range value is refused in one place), one of the
// choices (any case; sent canonically). Throws UsageError naming the flag and what it accepts.
boost::json::value parse_field_value(const policy::FieldSpec& field, std::string_view text);

// Columns separated by two spaces, padded to the widest cell; the last column is not padded.
std::string format_table(const std::vector<std::string>& headings,
                         const std::vector<std::vector<std::string>>& rows);

// A JSON value as one short line: strings bare, everything else compact JSON, null as "-".
std::string value_text(const boost::json::value& v);

// Each field of the kind (documentation order, then any the CLI does not know) with its value
// and the scope it comes from: the body of `policy effective` and `config get`.
std::string format_values(policy::Kind kind, const boost::json::object& values,
                          const boost::json::object& source);

// `policy get KIND NAME`: name, last change and the settings the policy itself sets.
std::string format_policy(const boost::json::object& policy);
// `policy get KIND`: every policy with its settings, then the assignments.
std::string format_policy_list(const boost::json::array& policies, const boost::json::array& assignments);

// `session list`: one row per application, then a count.
std::string format_sessions(const boost::json::array& sessions);
// `audit`: one row per change with old → new. `more` says that older entries were cut off.
std::string format_audit(const boost::json::array& entries, bool more);

}  // namespace parley::cli
