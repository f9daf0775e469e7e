#pragma once
// A small SDP reader and rewriter (RFC 8866), enough for a server that relays offers and answers
// between WebRTC endpoints without terminating media: it checks that a description is well formed
// and carries what a WebRTC peer needs (ICE credentials, a DTLS fingerprint), tells which media a
// call uses and whether it is on hold, and rejects media the caller's policy does not allow.
//
// Pure: no I/O, never throws. Lines are kept as received so that what is relayed is what was
// sent, except where a rewrite says otherwise.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::proto::sdp {

inline constexpr std::size_t kMaxBytes = 64 * 1024;  // a description, in bytes
inline constexpr std::size_t kMaxLines = 4096;
inline constexpr std::size_t kMaxMedia = 64;          // m= sections
inline constexpr std::size_t kMaxLineBytes = 4096;

enum class Direction { sendrecv, sendonly, recvonly, inactive };
std::string_view to_string(Direction d);

struct Media {
  std::string kind;        // "audio", "video", "application", ... (lower case, as sent)
  std::uint16_t port = 0;  // 0: the section is rejected (RFC 8866 §5.14, RFC 3264 §6)
  std::string protocol;    // e.g. "UDP/TLS/RTP/SAVPF"
  std::vector<std::string> formats;
  std::string mid;         // a=mid, empty when absent
  Direction direction = Direction::sendrecv;  // the section's, else the session's, else sendrecv
  std::string ice_ufrag, ice_pwd;             // the section's, else the session's
  std::string fingerprint;                    // "sha-256 AB:CD:...", the section's or the session's
  bool rejected() const { return port == 0; }
  // Index of this section's m= line in Description::lines and one past its last line.
  std::size_t first_line = 0, end_line = 0;
};

struct Description {
  std::vector<std::string> lines;   // every line, without its line ending, in order
  std::vector<Media> media;
  std::vector<std::string> bundle;  // mids of `a=group:BUNDLE`, empty when absent
  std::size_t session_end = 0;      // one past the last session-level line
};

struct ParseResult {
  std::optional<Description> description;
  std::string error;  // why not, in words a client developer understands; empty on success
};

// Parses `text` (CRLF or LF line endings). Checks the grammar that matters to a relaying server:
// size limits above; first line `v=0`; `o=`, `s=`, `t=` present at session level; every line is
// `<letter>=<value>` with printable UTF-8; `m=<media> <port>[/<n>] <proto> <fmt>...` with a port in
// 0..65535 and at least one format; at least one m= section.
ParseResult parse(std::string_view text);

// What a WebRTC peer needs from the other side: for every section that is not rejected, ICE
// credentials (ufrag 4..256 chars, pwd 22..256 chars, RFC 8839 §5.4) and a DTLS fingerprint with
// a known hash (sha-1, sha-224, sha-256, sha-384, sha-512), and a protocol that uses DTLS
// ("UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", "TCP/DTLS/RTP/SAVPF", ...). Returns the first problem,
// empty when there is none.
std::string check_webrtc(const Description& d);

// Whether a section of `kind` ("audio", "video") is offered and not rejected.
bool uses(const Description& d, std::string_view kind);

// A call is on hold when every active audio and video section is sendonly or inactive: the side
// that sent this description no longer wants to receive (RFC 3264 §8.4).
bool on_hold(const Description& d);

// Rejects every section of `kind`: port 0 in its m= line, and its mid removed from the BUNDLE
// group (a rejected section may not stay in a bundle, RFC 8843 §7.3.3). Sections already rejected
// are left alone. Returns how many sections it rejected.
std::size_t reject(Description& d, std::string_view kind);

// The description as text, CRLF after every line (RFC 8866 §5).
std::string serialize(const Description& d);

}  // namespace parley::proto::sdp
