// What a relaying server asks of a parsed description: is it usable by a WebRTC peer (RFC 8829
// §5.8: ICE and DTLS are mandatory), which media does it use, is it a hold (RFC 3264 §8.4), and
// rejecting media the caller may not use (RFC 3264 §6, RFC 8843 §7.3.3).
#include "proto/sdp/detail.hpp"
#include "proto/sdp/sdp.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace parley::proto::sdp {
namespace {

using detail::iequals;

struct Hash {
  std::string_view name;
  std::size_t bytes;
};
// RFC 8122 §5 with the hashes RFC 8827 §6.5 lets a WebRTC peer use (md5/md2 are excluded).
constexpr std::array<Hash, 5> kHashes = {{{"sha-1", 20},
                                          {"sha-224", 28},
                                          {"sha-256", 32},
                                          {"sha-384", 48},
                                          {"sha-512", 64}}};

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// `XX:XX:...` with exactly `bytes` pairs (RFC 8122 §5, fingerprint = 2UHEX *(":" 2UHEX)).
bool is_fingerprint_value(std::string_view v, std::size_t bytes) {
  if (v.size() != bytes * 3 - 1) return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i % 3 == 2 ? v[i] != ':' : !is_hex(v[i])) return false;
  }
  return true;
}

// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4).
bool is_ice_chars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '+' || c == '/';
  });
}

// DTLS-SRTP and SCTP over DTLS profiles name (D)TLS in their protocol: "UDP/TLS/RTP/SAVPF"
// (RFC 5764 §8), "TCP/DTLS/RTP/SAVPF" (RFC 7850), "UDP/DTLS/SCTP" (RFC 8841), "DTLS/SCTP".
bool uses_dtls(std::string_view protocol) {
  const auto parts = [&] {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
      const std::size_t slash = protocol.find('/', start);
      out.push_back(protocol.substr(start, slash - start));
      if (slash == std::string_view::npos) return out;
      start = slash + 1;
    }
  }();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (iequals(parts[i], "DTLS")) return true;
    if (iequals(parts[i], "TLS") && i == 1 && iequals(parts[0], "UDP")) return true;
  }
  return false;
}

bool is_audio_or_video(const Media& m) { return m.kind == "audio" || m.kind == "video"; }

// "the video section", numbered when the kind is offered more than once so the sender can tell
// which one is meant.
std::string section_name(const Description& d, std::size_t index) {
  const std::string& kind = d.media[index].kind;
  std::size_t same = 0, position = 0;
  for (std::size_t i = 0; i < d.media.size(); ++i) {
    if (d.media[i].kind != kind) continue;
    ++same;
    if (i == index) position = same;
  }
  std::string name = "the " + kind + " section";
  if (same > 1) name += " #" + std::to_string(position);
  return name;
}

std::string check_section(const Description& d, std::size_t index) {
  const Media& m = d.media[index];
  const std::string name = section_name(d, index);
  if (!uses_dtls(m.protocol))
    return name + "'s protocol " + m.protocol + " does not use DTLS";

  if (m.ice_ufrag.empty() || m.ice_pwd.empty())
    return name + " has no ICE credentials (a=ice-ufrag/a=ice-pwd)";
  if (m.ice_ufrag.size() < 4 || m.ice_ufrag.size() > 256)
    return name + "'s ICE username fragment is " + std::to_string(m.ice_ufrag.size()) +
           " characters; RFC 8839 requires 4 to 256";
  if (m.ice_pwd.size() < 22 || m.ice_pwd.size() > 256)
    return name + "'s ICE password is " + std::to_string(m.ice_pwd.size()) +
           " characters; RFC 8839 requires 22 to 256";
  if (!is_ice_chars(m.ice_ufrag) || !is_ice_chars(m.ice_pwd))
    return name + "'s ICE credentials may only use letters, digits, '+' and '/'";

  if (m.fingerprint.empty()) return name + " has no DTLS fingerprint (a=fingerprint)";
  const auto w = detail::words(m.fingerprint);
  const auto hash = std::find_if(kHashes.begin(), kHashes.end(), [&](const Hash& h) {
    return !w.empty() && iequals(w[0].text, h.name);
  });
  if (hash == kHashes.end())
    return name + "'s DTLS fingerprint uses an unknown hash " +
           (w.empty() ? std::string("(none)") : std::string(w[0].text)) +
           " (expected sha-1, sha-224, sha-256, sha-384 or sha-512)";
  if (w.size() != 2 || !is_fingerprint_value(w[1].text, hash->bytes))
    return name + "'s DTLS fingerprint is not " + std::string(hash->name) + " followed by " +
           std::to_string(hash->bytes) + " colon-separated hex bytes";
  return {};
}

// Puts "0" in place of the port (and any "/<number of ports>") of an m= line.
void zero_port(std::string& line) {
  if (line.size() < 2) return;
  const auto w = detail::words(std::string_view(line).substr(2));
  if (w.size() < 2) return;
  line.replace(2 + w[1].offset, w[1].text.size(), "0");
}

}  // namespace

std::string check_webrtc(const Description& d) {
  for (std::size_t i = 0; i < d.media.size(); ++i) {
    if (d.media[i].rejected()) continue;
    if (auto why = check_section(d, i); !why.empty()) return why;
  }
  return {};
}

bool uses(const Description& d, std::string_view kind) {
  return std::any_of(d.media.begin(), d.media.end(),
                     [&](const Media& m) { return !m.rejected() && iequals(m.kind, kind); });
}

bool on_hold(const Description& d) {
  bool any = false;
  for (const Media& m : d.media) {
    if (m.rejected() || !is_audio_or_video(m)) continue;
    any = true;
    if (m.direction != Direction::sendonly && m.direction != Direction::inactive) return false;
  }
  return any;
}

std::size_t reject(Description& d, std::string_view kind) {
  std::size_t count = 0;
  std::vector<std::string> gone;
  for (Media& m : d.media) {
    if (m.rejected() || !iequals(m.kind, kind)) continue;
    if (m.first_line < d.lines.size()) zero_port(d.lines[m.first_line]);
    m.port = 0;
    ++count;
    if (!m.mid.empty()) gone.push_back(m.mid);
  }
  if (gone.empty()) return count;

  // Every BUNDLE group loses the rejected mids; a group left with none is dropped entirely
  // (RFC 8843 §7.3.3: a rejected section cannot stay in a bundle, even as its tagged section).
  const auto removed = [&](std::string_view mid) {
    return std::find(gone.begin(), gone.end(), mid) != gone.end();
  };
  std::size_t i = 0;
  while (i < d.session_end && i < d.lines.size()) {
    const auto group = detail::bundle_group(d.lines[i]);
    if (!group || std::none_of(group->begin() + 1, group->end(),
                               [&](const detail::Word& w) { return removed(w.text); })) {
      ++i;
      continue;
    }
    std::string rewritten = "a=group:" + std::string((*group)[0].text);
    std::size_t kept = 0;
    for (std::size_t k = 1; k < group->size(); ++k) {
      if (removed((*group)[k].text)) continue;
      rewritten += ' ';
      rewritten += (*group)[k].text;
      ++kept;
    }
    if (kept > 0) {
      d.lines[i] = std::move(rewritten);
      ++i;
      continue;
    }
    d.lines.erase(d.lines.begin() + static_cast<std::ptrdiff_t>(i));
    --d.session_end;
    for (Media& m : d.media) {
      if (m.first_line > i) --m.first_line;
      if (m.end_line > i) --m.end_line;
    }
  }

  d.bundle.clear();
  for (std::size_t k = 0; k < d.session_end && k < d.lines.size(); ++k) {
    if (const auto group = detail::bundle_group(d.lines[k])) {
      for (std::size_t w = 1; w < group->size(); ++w) d.bundle.emplace_back((*group)[w].text);
      break;
    }
  }
  return count;
}

}  // namespace parley::proto::sdp
