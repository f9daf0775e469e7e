// Reading and writing SDP text (RFC 8866). The reader keeps every line as received and builds an
// index over it (sections, the attributes a relaying server acts on); the writer puts the lines
// back with CRLF, so an untouched CRLF description comes out byte for byte as it came in.
#include "proto/sdp/detail.hpp"
#include "proto/sdp/sdp.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace parley::proto::sdp {

namespace detail {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::vector<Word> words(std::string_view s) {
  std::vector<Word> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back({s.substr(start, i - start), start});
  }
  return out;
}

std::optional<Attribute> attribute(std::string_view line) {
  if (line.size() < 2 || line[0] != 'a' || line[1] != '=') return std::nullopt;
  const std::string_view rest = line.substr(2);
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return Attribute{rest, {}};
  return Attribute{rest.substr(0, colon), rest.substr(colon + 1)};
}

std::optional<std::vector<Word>> bundle_group(std::string_view line) {
  const auto a = attribute(line);
  if (!a || !iequals(a->name, "group")) return std::nullopt;
  auto w = words(a->value);
  if (w.empty() || !iequals(w.front().text, "BUNDLE")) return std::nullopt;
  return w;
}

}  // namespace detail

namespace {

using detail::iequals;

ParseResult fail(std::string why) { return {std::nullopt, std::move(why)}; }

std::string line_no(std::size_t index) { return "line " + std::to_string(index + 1) + ": "; }

std::string hex_byte(unsigned value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string s = "0x";
  s += kDigits[(value >> 4) & 0xF];
  s += kDigits[value & 0xF];
  return s;
}

// Why a line's bytes are not printable UTF-8, empty when they are. Tab is allowed (some senders
// use it between words); every other C0 and C1 control character and DEL is not, because no SDP
// field needs one and a stray CR or NUL is how line-splitting confusion starts.
std::string bad_character(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7F) return "control character " + hex_byte(c);
      ++i;
      continue;
    }
    std::size_t len = 0;
    char32_t cp = 0, smallest = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, cp = c & 0x1F, smallest = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3, cp = c & 0x0F, smallest = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, cp = c & 0x07, smallest = 0x10000;
    } else {
      return "invalid UTF-8";
    }
    if (i + len > s.size()) return "invalid UTF-8";
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return "invalid UTF-8";
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < smallest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return "invalid UTF-8";
    if (cp >= 0x80 && cp <= 0x9F) return "control character U+00" + hex_byte(cp).substr(2);
    i += len;
  }
  return {};
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A decimal number of at most `max`; nullopt when it is not one.
std::optional<std::uint32_t> number(std::string_view s, std::uint32_t max) {
  if (!all_digits(s)) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
    if (v > max) return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 8866 §5.14).
std::string read_media_line(std::string_view line, Media& m) {
  const auto w = detail::words(line.substr(2));
  if (w.size() < 3)
    return "malformed m= line \"" + std::string(line) +
           "\" (expected m=<media> <port> <protocol> <format> ...)";
  if (w.size() == 3) return "the m= line \"" + std::string(line) + "\" has no formats";
  m.kind = lower(w[0].text);
  std::string_view port = w[1].text;
  if (const auto slash = port.find('/'); slash != std::string_view::npos) {
    const std::string_view count = port.substr(slash + 1);
    port = port.substr(0, slash);
    const auto n = number(count, 65535);
    if (!n || *n == 0)
      return "the m= line's number of ports \"" + std::string(count) + "\" is not a positive number";
  }
  if (!all_digits(port)) return "the m= line's port \"" + std::string(port) + "\" is not a number";
  const auto p = number(port, 65535);
  if (!p) return "port " + std::string(port) + " is out of range (0..65535)";
  m.port = static_cast<std::uint16_t>(*p);
  m.protocol = std::string(w[2].text);
  for (std::size_t i = 3; i < w.size(); ++i) m.formats.emplace_back(w[i].text);
  return {};
}

std::optional<Direction> direction_of(std::string_view name) {
  if (iequals(name, "sendrecv")) return Direction::sendrecv;
  if (iequals(name, "sendonly")) return Direction::sendonly;
  if (iequals(name, "recvonly")) return Direction::recvonly;
  if (iequals(name, "inactive")) return Direction::inactive;
  return std::nullopt;
}

// The attributes of one level (the session, or one media section) that a relay acts on. Empty
// strings mean "not said here", so a section inherits the session's value.
struct Said {
  std::optional<Direction> direction;
  std::string ice_ufrag, ice_pwd, fingerprint, mid;
};

void note(Said& said, const detail::Attribute& a) {
  if (const auto d = direction_of(a.name)) {
    if (!said.direction) said.direction = d;
  } else if (iequals(a.name, "ice-ufrag")) {
    if (said.ice_ufrag.empty()) said.ice_ufrag = a.value;
  } else if (iequals(a.name, "ice-pwd")) {
    if (said.ice_pwd.empty()) said.ice_pwd = a.value;
  } else if (iequals(a.name, "fingerprint")) {
    // RFC 8122 §5 allows several; the first is the one the sender prefers.
    if (said.fingerprint.empty()) said.fingerprint = a.value;
  } else if (iequals(a.name, "mid")) {
    if (said.mid.empty()) said.mid = a.value;
  }
}

// Splits into lines, dropping line endings (CRLF or LF) and any empty lines at the very end.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    start = end + 1;
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

}  // namespace

std::string_view to_string(Direction d) {
  switch (d) {
    case Direction::sendrecv: return "sendrecv";
    case Direction::sendonly: return "sendonly";
    case Direction::recvonly: return "recvonly";
    case Direction::inactive: return "inactive";
  }
  return "sendrecv";
}

ParseResult parse(std::string_view text) {
  const std::string limit = std::to_string(kMaxBytes);
  if (text.size() > kMaxBytes)
    return fail("the description is " + std::to_string(text.size()) + " bytes; the limit is " +
                limit);
  const auto raw = split_lines(text);
  if (raw.empty()) return fail("the description is empty");
  if (raw.size() > kMaxLines)
    return fail("the description has " + std::to_string(raw.size()) + " lines; the limit is " +
                std::to_string(kMaxLines));

  // Measured as it will be relayed (CRLF after every line), so that what parse accepts,
  // serialize writes and parse accepts again.
  std::size_t relayed = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const std::string_view line = raw[i];
    if (line.size() > kMaxLineBytes)
      return fail(line_no(i) + "the line is " + std::to_string(line.size()) +
                  " bytes; the limit is " + std::to_string(kMaxLineBytes));
    if (line.empty()) return fail(line_no(i) + "empty line inside the description");
    if (const auto why = bad_character(line); !why.empty()) return fail(line_no(i) + why);
    if (line.size() < 2 || line[0] < 'a' || line[0] > 'z' || line[1] != '=')
      return fail(line_no(i) + "\"" + std::string(line.substr(0, 40)) +
                  "\" is not of the form <letter>=<value>");
    relayed += line.size() + 2;
  }
  if (relayed > kMaxBytes)
    return fail("the description is " + std::to_string(relayed) +
                " bytes with CRLF line endings; the limit is " + limit);

  if (raw[0][0] != 'v')
    return fail("the description must start with v=0, not \"" +
                std::string(raw[0].substr(0, 40)) + "\"");
  if (raw[0] != "v=0")
    return fail("unsupported SDP version \"" + std::string(raw[0].substr(2, 40)) +
                "\" (only v=0 is defined)");

  Description d;
  d.lines.reserve(raw.size());
  for (const auto line : raw) d.lines.emplace_back(line);

  Said session;
  std::vector<Said> sections;
  bool has_o = false, has_s = false, has_t = false, bundle_seen = false;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    const std::string_view line = raw[i];
    const bool at_session = d.media.empty();
    switch (line[0]) {
      case 'v':
        return fail(line_no(i) + "v= may only be the first line");
      case 'm': {
        if (d.media.size() == kMaxMedia)
          return fail("the description has more than " + std::to_string(kMaxMedia) +
                      " m= sections");
        if (at_session) d.session_end = i;
        else d.media.back().end_line = i;
        Media m;
        if (const auto why = read_media_line(line, m); !why.empty()) return fail(line_no(i) + why);
        m.first_line = i;
        d.media.push_back(std::move(m));
        sections.emplace_back();
        break;
      }
      case 'o': has_o = has_o || at_session; break;
      case 's': has_s = has_s || at_session; break;
      case 't': has_t = has_t || at_session; break;
      case 'a': {
        const auto a = detail::attribute(line);
        if (at_session) {
          note(session, *a);
          // RFC 5888 §5: groups are session-level; the first BUNDLE group is the one reported.
          if (const auto group = detail::bundle_group(line); group && !bundle_seen) {
            bundle_seen = true;
            for (std::size_t k = 1; k < group->size(); ++k) d.bundle.emplace_back((*group)[k].text);
          }
        } else {
          note(sections.back(), *a);
        }
        break;
      }
      default: break;
    }
  }
  if (!has_o) return fail("the session has no o= line");
  if (!has_s) return fail("the session has no s= line");
  if (!has_t) return fail("the session has no t= line");
  if (d.media.empty()) return fail("the description has no m= section");
  d.media.back().end_line = raw.size();

  for (std::size_t k = 0; k < d.media.size(); ++k) {
    Media& m = d.media[k];
    Said& own = sections[k];
    m.mid = std::move(own.mid);
    // RFC 5888 §4: a mid names one section; a repeat would make BUNDLE edits ambiguous.
    if (!m.mid.empty())
      for (std::size_t j = 0; j < k; ++j)
        if (d.media[j].mid == m.mid)
          return fail(line_no(m.first_line) + "mid \"" + m.mid +
                      "\" is used by more than one m= section");
    m.direction = own.direction.value_or(session.direction.value_or(Direction::sendrecv));
    m.ice_ufrag = own.ice_ufrag.empty() ? session.ice_ufrag : std::move(own.ice_ufrag);
    m.ice_pwd = own.ice_pwd.empty() ? session.ice_pwd : std::move(own.ice_pwd);
    m.fingerprint = own.fingerprint.empty() ? session.fingerprint : std::move(own.fingerprint);
  }
  return {std::move(d), {}};
}

std::string serialize(const Description& d) {
  std::size_t size = 0;
  for (const auto& line : d.lines) size += line.size() + 2;
  std::string out;
  out.reserve(size);
  for (const auto& line : d.lines) {
    out += line;
    out += "\r\n";
  }
  return out;
}

}  // namespace parley::proto::sdp
