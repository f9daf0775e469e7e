#include "cli/policy_flags.hpp"

#include "cli/discovery.hpp"
#include "cli/text.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace parley::cli {
namespace {

bool is_upper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }
bool is_lower(char c) { return std::islower(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

std::string type_help(const policy::FieldSpec& f) {
  switch (f.type) {
    case policy::FieldSpec::Type::boolean:
      return "true or false";
    case policy::FieldSpec::Type::integer:
      return "a whole number from " + std::to_string(f.min) + " to " + std::to_string(f.max);
    case policy::FieldSpec::Type::choice: {
      std::string out = "one of ";
      for (std::size_t i = 0; i < f.choices.size(); ++i) {
        if (i > 0) out += i + 1 == f.choices.size() ? " or " : ", ";
        out += f.choices[i];
      }
      return out;
    }
  }
  return {};
}

std::string str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? value_text(*v) : "-";
}

}  // namespace

std::string flag_name(std::string_view cmdlet_name) {
  std::string name(cmdlet_name);
  for (std::size_t at = name.find("WiFi"); at != std::string::npos; at = name.find("WiFi", at + 4))
    name.replace(at, 4, "WIFI");
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (i > 0 && is_upper(c)) {
      const char prev = name[i - 1];
      const bool next_lower = i + 1 < name.size() && is_lower(name[i + 1]);
      // A word starts after a lower-case letter or digit, or at the last capital of a run
      // followed by lower case ("IPVideo" → "IP", "Video").
      if (is_lower(prev) || is_digit(prev) || (is_upper(prev) && next_lower)) out += '-';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

const policy::FieldSpec* find_field(policy::Kind kind, std::string_view name) {
  std::string_view bare = name;
  while (!bare.empty() && bare.front() == '-') bare.remove_prefix(1);
  for (const auto& f : policy::fields(kind))
    if (iequals(f.name, bare) || iequals(flag_name(f.name), bare)) return &f;
  return nullptr;
}

boost::json::value parse_field_value(const policy::FieldSpec& field, std::string_view text) {
  const std::string flag = "--" + flag_name(field.name);
  const std::string_view t = trim(text);
  switch (field.type) {
    case policy::FieldSpec::Type::boolean:
      if (iequals(t, "true")) return true;
      if (iequals(t, "false")) return false;
      break;
    case policy::FieldSpec::Type::integer: {
      std::int64_t v = 0;
      auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (!t.empty() && ec == std::errc() && ptr == t.data() + t.size()) return v;
      break;
    }
    case policy::FieldSpec::Type::choice:
      for (const auto& c : field.choices)
        if (iequals(c, t)) return boost::json::value(boost::json::string(c));
      break;
  }
  throw UsageError(flag + " takes " + type_help(field) + ", not \"" + printable(text) + "\"");
}

std::string format_table(const std::vector<std::string>& headings,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(headings.size());
  for (std::size_t c = 0; c < headings.size(); ++c) {
    width[c] = display_width(headings[c]);
    for (const auto& r : rows)
      if (c < r.size()) width[c] = std::max(width[c], display_width(r[c]));
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < headings.size(); ++c) {
      const std::string text = c < cells.size() ? cells[c] : std::string();
      line += text;
      if (c + 1 < headings.size()) line.append(width[c] - display_width(text) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  };
  emit(headings);
  for (const auto& r : rows) emit(r);
  return out;
}

std::string value_text(const boost::json::value& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return printable(v.as_string());
  return printable(boost::json::serialize(v));
}

std::string format_values(policy::Kind kind, const boost::json::object& values,
                          const boost::json::object& source) {
  std::vector<std::vector<std::string>> rows;
  std::set<std::string, std::less<>> shown;
  auto add = [&](std::string_view name) {
    const auto* v = values.if_contains(name);
    if (!v) return;
    shown.emplace(name);
    rows.push_back({printable(name), value_text(*v), str(source, name)});
  };
  for (const auto& f : policy::fields(kind)) add(f.name);
  for (const auto& kv : values)
    if (!shown.contains(std::string_view(kv.key()))) add(kv.key());
  return format_table({"SETTING", "VALUE", "FROM"}, rows);
}

std::string format_policy(const boost::json::object& policy) {
  std::string out = "Name:     " + str(policy, "name") + "\n";
  out += "Updated:  " + str(policy, "updatedAt") + "\n";
  const auto* s = policy.if_contains("settings");
  if (!s || !s->is_object() || s->as_object().empty()) {
    out += "Settings: none (every value comes from a less specific scope)\n";
    return out;
  }
  out += "Settings:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& kv : s->as_object()) rows.push_back({"  " + printable(kv.key()), value_text(kv.value())});
  std::string table = format_table({"", ""}, rows);
  out += table.substr(table.find('\n') + 1);  // no heading line
  return out;
}

std::string format_policy_list(const boost::json::array& policies, const boost::json::array& assignments) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : policies) {
    if (!p.is_object()) continue;
    const auto& o = p.as_object();
    std::string settings;
    if (const auto* s = o.if_contains("settings"); s && s->is_object())
      for (const auto& kv : s->as_object()) {
        if (!settings.empty()) settings += ", ";
        settings += printable(kv.key()) + "=" + value_text(kv.value());
      }
    rows.push_back({str(o, "name"), settings.empty() ? "(none)" : settings});
  }
  std::string out = format_table({"POLICY", "SETTINGS"}, rows);
  rows.clear();
  for (const auto& a : assignments) {
    if (!a.is_object()) continue;
    const auto& o = a.as_object();
    rows.push_back({str(o, "scope") + " " + str(o, "key"), str(o, "name")});
  }
  out += '\n';
  if (rows.empty()) out += "no assignments: every user has the global policy\n";
  else out += format_table({"ASSIGNED TO", "POLICY"}, rows);
  return out;
}

std::string format_sessions(const boost::json::array& sessions) {
  if (sessions.empty()) return "no sessions\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : sessions) {
    if (!s.is_object()) continue;
    const auto& o = s.as_object();
    rows.push_back({str(o, "id"), str(o, "user"), str(o, "deviceClass"), str(o, "networkType"),
                    str(o, "site"), str(o, "idleSeconds") + "s", str(o, "userAgent")});
  }
  std::string out = format_table({"ID", "USER", "DEVICE", "NETWORK", "SITE", "IDLE", "USER AGENT"}, rows);
  out += std::to_string(rows.size()) + (rows.size() == 1 ? " session\n" : " sessions\n");
  return out;
}

std::string format_audit(const boost::json::array& entries, bool more) {
  if (entries.empty()) return "no changes recorded\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries) {
    if (!e.is_object()) continue;
    const auto& o = e.as_object();
    rows.push_back({str(o, "at"), str(o, "actor"), str(o, "action"), str(o, "target"),
                    str(o, "old") + " -> " + str(o, "new")});
  }
  std::string out = format_table({"TIME", "ACTOR", "ACTION", "TARGET", "CHANGE (OLD -> NEW)"}, rows);
  out += std::to_string(rows.size()) + (rows.size() == 1 ? " entry" : " entries");
  if (more) out += " shown; there are older ones (raise --limit to see them)";
  out += '\n';
  return out;
}

}  // namespace parley::cli
