#include "cli/output.hpp"

#include "cli/text.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace parley::cli {
namespace {

constexpr std::size_t kMaxCellWidth = 40;

void pretty(const boost::json::value& v, std::string& out, std::size_t depth) {
  const auto indent = [&](std::size_t d) { out.append(2 * d, ' '); };
  if (v.is_object()) {
    const auto& o = v.as_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (const auto& kv : o) {
      indent(depth + 1);
      out += boost::json::serialize(boost::json::value(kv.key()));
      out += ": ";
      pretty(kv.value(), out, depth + 1);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    indent(depth);
    out += '}';
  } else if (v.is_array()) {
    const auto& a = v.as_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < a.size(); ++i) {
      indent(depth + 1);
      pretty(a[i], out, depth + 1);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    indent(depth);
    out += ']';
  } else {
    out += boost::json::serialize(v);
  }
}

std::string text_of(const boost::json::value& v) {
  if (v.is_string()) return printable(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_null()) return "";
  return printable(boost::json::serialize(v));
}

std::string text_member(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v ? text_of(*v) : std::string();
}

// Cuts a cell to kMaxCellWidth code points, marking the cut with "...".
std::string fit(std::string s) {
  if (display_width(s) <= kMaxCellWidth) return s;
  std::size_t points = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++points > kMaxCellWidth - 3) break;
  }
  s.resize(i);
  return s + "...";
}

void pad_to(std::string& line, std::size_t start, std::size_t width) {
  const std::size_t used = display_width(std::string_view(line).substr(start));
  if (used < width) line.append(width - used, ' ');
}

}  // namespace

std::string pretty_json(const boost::json::value& v) {
  std::string out;
  pretty(v, out, 0);
  out += '\n';
  return out;
}

std::string format_user_details(const boost::json::object& user) {
  static constexpr std::array<std::string_view, 6> kLeading{"sipUri", "displayName", "email", "title",
                                                            "department", "office"};
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kPhones{
      {{"work", "phoneWork"}, {"mobile", "phoneMobile"}, {"home", "phoneHome"}, {"other", "phoneOther"}}};
  std::vector<std::pair<std::string, std::string>> lines;
  for (auto key : kLeading)
    if (user.contains(key)) lines.emplace_back(key, text_member(user, key));
  if (const auto* phones = user.if_contains("phones"); phones && phones->is_object())
    for (auto [json_key, label] : kPhones)
      lines.emplace_back(label, text_member(phones->as_object(), json_key));
  // Then everything else in the server's order, so new properties show up without a release.
  for (const auto& kv : user) {
    const std::string_view key = kv.key();
    if (key == "phones" || std::find(kLeading.begin(), kLeading.end(), key) != kLeading.end()) continue;
    lines.emplace_back(printable(key), text_of(kv.value()));
  }
  std::size_t width = 0;
  for (const auto& [k, v] : lines) width = std::max(width, display_width(k));
  std::string out;
  for (const auto& [k, v] : lines) {
    out += k;
    out += ':';
    out.append(width - display_width(k) + 1, ' ');
    out += v;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  return out;
}

std::string format_user_table(const boost::json::array& users, bool more) {
  if (users.empty()) return "no users\n";
  static constexpr std::array<std::string_view, 4> kHeadings{"SIP URI", "DISPLAY NAME", "ENABLED", "DEPARTMENT"};
  std::vector<std::array<std::string, 4>> rows;
  rows.reserve(users.size());
  for (const auto& u : users) {
    const boost::json::object empty;
    const auto& o = u.is_object() ? u.as_object() : empty;
    const auto* enabled = o.if_contains("enabled");
    rows.push_back({text_member(o, "sipUri"), fit(text_member(o, "displayName")),
                    enabled && enabled->is_bool() ? (enabled->as_bool() ? "yes" : "no") : "?",
                    fit(text_member(o, "department"))});
  }
  std::array<std::size_t, 4> width{};
  for (std::size_t c = 0; c < 4; ++c) {
    width[c] = kHeadings[c].size();
    for (const auto& r : rows) width[c] = std::max(width[c], display_width(r[c]));
  }
  std::string out;
  auto emit = [&](auto cell_of) {
    std::string line;
    for (std::size_t c = 0; c < 4; ++c) {
      const std::size_t start = line.size();
      line += cell_of(c);
      if (c + 1 < 4) {
        pad_to(line, start, width[c]);
        line += "  ";
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  };
  emit([&](std::size_t c) { return std::string(kHeadings[c]); });
  for (const auto& r : rows) emit([&](std::size_t c) { return r[c]; });
  out += std::to_string(users.size()) + (users.size() == 1 ? " user" : " users");
  if (more) out += " shown; there are more (raise --limit to see them)";
  out += '\n';
  return out;
}

}  // namespace parley::cli
