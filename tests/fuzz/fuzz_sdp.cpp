// Fuzz target: the SDP reader and rewriter (src/proto/sdp/sdp.hpp). Arbitrary bytes are read as
// a description. Whatever parses has a consistent index (sections tile the lines after the
// session part, limits hold), is written back to text that parses to the same lines, and stays
// a valid description after every kind of media in it has been rejected: same sections, ports
// 0, and no rejected mid left in the BUNDLE group.
#include "proto/sdp/sdp.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace parley::proto::sdp;

void check_index(const Description& d) {
  if (d.media.empty() || d.media.size() > kMaxMedia || d.lines.size() > kMaxLines) std::abort();
  if (d.session_end == 0 || d.media.front().first_line != d.session_end) std::abort();
  for (std::size_t i = 0; i < d.media.size(); ++i) {
    const Media& m = d.media[i];
    if (m.first_line >= m.end_line || m.end_line > d.lines.size()) std::abort();
    if (d.lines[m.first_line].rfind("m=", 0) != 0) std::abort();
    const std::size_t next = i + 1 < d.media.size() ? d.media[i + 1].first_line : d.lines.size();
    if (m.end_line != next) std::abort();
    if (m.kind.empty() || m.protocol.empty() || m.formats.empty()) std::abort();
  }
  for (const auto& line : d.lines)
    if (line.empty() || line.size() > kMaxLineBytes) std::abort();
}

void check_same(const Description& a, const Description& b) {
  if (a.lines != b.lines || a.bundle != b.bundle || a.session_end != b.session_end ||
      a.media.size() != b.media.size())
    std::abort();
  for (std::size_t i = 0; i < a.media.size(); ++i) {
    const Media& x = a.media[i];
    const Media& y = b.media[i];
    if (x.kind != y.kind || x.port != y.port || x.protocol != y.protocol ||
        x.formats != y.formats || x.mid != y.mid || x.direction != y.direction ||
        x.ice_ufrag != y.ice_ufrag || x.ice_pwd != y.ice_pwd || x.fingerprint != y.fingerprint ||
        x.first_line != y.first_line || x.end_line != y.end_line)
      std::abort();
  }
}

Description reparse(const Description& d) {
  const std::string text = serialize(d);
  if (text.size() > kMaxBytes) std::abort();
  auto back = parse(text);
  if (!back.description || !back.error.empty()) std::abort();
  if (back.description->media.size() != d.media.size()) std::abort();
  return std::move(*back.description);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ParseResult r = parse(input);
  if (!r.description) {
    if (r.error.empty()) std::abort();
    return 0;
  }
  if (!r.error.empty()) std::abort();
  const Description& d = *r.description;
  check_index(d);

  (void)check_webrtc(d);
  const bool held = on_hold(d);
  const bool audio = uses(d, "audio"), video = uses(d, "video");
  if (held && !audio && !video) std::abort();

  // Untouched, the description survives a round trip unchanged.
  check_same(d, reparse(d));

  Description copy = d;
  std::size_t rejected = 0;
  for (const Media& m : d.media) {
    const std::size_t n = reject(copy, m.kind);
    rejected += n;
    if (uses(copy, m.kind)) std::abort();
  }
  const std::size_t active = static_cast<std::size_t>(
      std::count_if(d.media.begin(), d.media.end(), [](const Media& m) { return !m.rejected(); }));
  if (rejected != active || !check_webrtc(copy).empty() || on_hold(copy)) std::abort();
  check_index(copy);
  for (std::size_t i = 0; i < copy.media.size(); ++i) {
    const Media& m = copy.media[i];
    if (!m.rejected() || m.kind != d.media[i].kind || m.mid != d.media[i].mid) std::abort();
    // Sections that were already rejected are left alone, bundle entry included.
    const bool was_active = !d.media[i].rejected();
    if (was_active && !m.mid.empty() &&
        std::find(copy.bundle.begin(), copy.bundle.end(), m.mid) != copy.bundle.end())
      std::abort();
  }

  const Description back = reparse(copy);
  check_same(copy, back);
  return 0;
}
