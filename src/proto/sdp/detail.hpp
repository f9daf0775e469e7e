#pragma once
// Text helpers shared by the SDP reader (sdp.cpp) and the checks and rewrites (webrtc.cpp).
// Internal to parley_proto_sdp.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace parley::proto::sdp::detail {

// ASCII case-insensitive comparison: SDP tokens are ASCII.
bool iequals(std::string_view a, std::string_view b);

// A word of a line and where it starts, so that a rewrite can replace exactly that word.
struct Word {
  std::string_view text;
  std::size_t offset = 0;
};

// Splits on runs of spaces and tabs; senders differ in how strictly they keep to single spaces.
std::vector<Word> words(std::string_view s);

// An `a=<name>[:<value>]` line split into its parts; nullopt for any other line.
struct Attribute {
  std::string_view name, value;
};
std::optional<Attribute> attribute(std::string_view line);

// For an `a=group:BUNDLE ...` line, the words after `a=group:` (the first is the semantics);
// nullopt for any other line, including groups with other semantics (LS, FID, ...).
std::optional<std::vector<Word>> bundle_group(std::string_view line);

}  // namespace parley::proto::sdp::detail
