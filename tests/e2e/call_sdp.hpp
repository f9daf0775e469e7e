#pragma once
// WebRTC session descriptions for the call tests: what Chromium sends for an audio and video call
// through the Edge relay, and the small text tools to vary and inspect them.

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace parley::e2e {

// What Chromium offers for getUserMedia({audio: true, video: true}) after gathering through the
// Edge relay (no trickle in UCWA): audio and video bundled, relay candidates, DTLS role actpass.
inline constexpr char kAliceOffer[] =
    "v=0\r\n"
    "o=- 7614219274584779017 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS 5b1e9d2a-7c3f-4e80-a6d4-2f9b0c81e735\r\n"
    "m=audio 61002 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:2999745851 1 udp 2122260223 192.168.1.23 53611 typ host generation 0 network-id 1\r\n"
    "a=candidate:1873251694 1 udp 41885695 198.51.100.20 61002 typ relay raddr 203.0.113.45 rport 53611 generation 0 network-id 1\r\n"
    "a=candidate:1873251694 1 udp 25108223 198.51.100.20 61004 typ relay raddr 203.0.113.45 rport 53611 generation 0 network-id 1\r\n"
    "a=ice-ufrag:hT4q\r\n"
    "a=ice-pwd:Vb3kPz9QwX1sLm7NcRt5Yd2e\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 4A:8D:21:F0:C7:3E:99:B2:15:6C:D8:0A:E3:47:7F:12:BC:90:5E:6D:A1:08:F4:3B:C2:77:1D:E9:60:85:2F:AB\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:5b1e9d2a-7c3f-4e80-a6d4-2f9b0c81e735 e0c4a7b1-93d2-4f6e-8a15-7b2d9c0e4f38\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:2231859402 cname:Qm3vT8kLx2RfYp0a\r\n"
    "a=ssrc:2231859402 msid:5b1e9d2a-7c3f-4e80-a6d4-2f9b0c81e735 e0c4a7b1-93d2-4f6e-8a15-7b2d9c0e4f38\r\n"
    "m=video 61002 UDP/TLS/RTP/SAVPF 96 97 102 103 45 46\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:2999745851 1 udp 2122260223 192.168.1.23 53611 typ host generation 0 network-id 1\r\n"
    "a=candidate:1873251694 1 udp 41885695 198.51.100.20 61002 typ relay raddr 203.0.113.45 rport 53611 generation 0 network-id 1\r\n"
    "a=ice-ufrag:hT4q\r\n"
    "a=ice-pwd:Vb3kPz9QwX1sLm7NcRt5Yd2e\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 4A:8D:21:F0:C7:3E:99:B2:15:6C:D8:0A:E3:47:7F:12:BC:90:5E:6D:A1:08:F4:3B:C2:77:1D:E9:60:85:2F:AB\r\n"
    "a=setup:actpass\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:5b1e9d2a-7c3f-4e80-a6d4-2f9b0c81e735 3d7f0b92-c1a4-4e5b-9f28-60e8d2a7c4b1\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 goog-remb\r\n"
    "a=rtcp-fb:102 transport-cc\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=rtpmap:45 AV1/90000\r\n"
    "a=rtcp-fb:45 nack pli\r\n"
    "a=rtpmap:46 rtx/90000\r\n"
    "a=fmtp:46 apt=45\r\n"
    "a=ssrc-group:FID 3407715328 1150380263\r\n"
    "a=ssrc:3407715328 cname:Qm3vT8kLx2RfYp0a\r\n"
    "a=ssrc:1150380263 cname:Qm3vT8kLx2RfYp0a\r\n";

// Chromium's answer to it on Bob's side: the same bundle, his own credentials, DTLS role active.
inline constexpr char kBobAnswer[] =
    "v=0\r\n"
    "o=- 2890844526172635512 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS 8e2a6f14-0b9c-4d73-a5e1-c39d7b2f6a08\r\n"
    "m=audio 62110 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:3120917004 1 udp 41885695 198.51.100.20 62110 typ relay raddr 192.0.2.77 rport 40112 generation 0 network-id 2\r\n"
    "a=ice-ufrag:Zk9m\r\n"
    "a=ice-pwd:Gq7uR2wY8aLc4Xn0Tb6vHs1D\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 9E:03:B7:5C:44:D1:2A:F8:6B:E0:17:C3:8D:59:A2:7E:31:CC:04:F6:B9:5D:E8:12:7A:43:96:0F:DB:28:C5:61\r\n"
    "a=setup:active\r\n"
    "a=mid:0\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:8e2a6f14-0b9c-4d73-a5e1-c39d7b2f6a08 b4d1e7c2-5a39-48f0-9e6b-12c7a0d3f5e9\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ssrc:1720349951 cname:Hy5pW0cTq8LbNz3e\r\n"
    "m=video 62110 UDP/TLS/RTP/SAVPF 96 97 102 103 45 46\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Zk9m\r\n"
    "a=ice-pwd:Gq7uR2wY8aLc4Xn0Tb6vHs1D\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 9E:03:B7:5C:44:D1:2A:F8:6B:E0:17:C3:8D:59:A2:7E:31:CC:04:F6:B9:5D:E8:12:7A:43:96:0F:DB:28:C5:61\r\n"
    "a=setup:active\r\n"
    "a=mid:1\r\n"
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=extmap:13 urn:3gpp:video-orientation\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=sendrecv\r\n"
    "a=msid:8e2a6f14-0b9c-4d73-a5e1-c39d7b2f6a08 71c0e9a3-d284-4b6f-a1e7-5f3b08c2d9e4\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp-rsize\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\n"
    "a=rtcp-fb:96 ccm fir\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "a=rtpmap:102 H264/90000\r\n"
    "a=rtcp-fb:102 goog-remb\r\n"
    "a=rtcp-fb:102 transport-cc\r\n"
    "a=rtcp-fb:102 nack pli\r\n"
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:103 rtx/90000\r\n"
    "a=fmtp:103 apt=102\r\n"
    "a=rtpmap:45 AV1/90000\r\n"
    "a=rtcp-fb:45 nack pli\r\n"
    "a=rtpmap:46 rtx/90000\r\n"
    "a=fmtp:46 apt=45\r\n"
    "a=ssrc-group:FID 2605162741 3987120556\r\n"
    "a=ssrc:2605162741 cname:Hy5pW0cTq8LbNz3e\r\n"
    "a=ssrc:3987120556 cname:Hy5pW0cTq8LbNz3e\r\n";

// Every occurrence of `from` replaced.
inline std::string replaced(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// `sdp` without the lines that start with `prefix`.
inline std::string without_lines(const std::string& sdp, const std::string& prefix) {
  std::string out;
  std::istringstream in(sdp);
  for (std::string line; std::getline(in, line);)
    if (!line.starts_with(prefix)) out += line + "\n";
  return out;
}

inline std::vector<std::string> lines_of(const std::string& sdp) {
  std::vector<std::string> out;
  std::istringstream in(sdp);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// The m= line of `kind` ("m=video 0 UDP/...") and the BUNDLE group line.
inline std::string m_line(const std::string& sdp, const std::string& kind) {
  for (const auto& l : lines_of(sdp))
    if (l.starts_with("m=" + kind + " ")) return l;
  return "";
}
inline std::string bundle_line(const std::string& sdp) {
  for (const auto& l : lines_of(sdp))
    if (l.starts_with("a=group:BUNDLE")) return l;
  return "";
}
inline bool video_rejected(const std::string& sdp) { return m_line(sdp, "video").starts_with("m=video 0 "); }

inline constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline std::string base64(const std::string& in) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out += kB64[(v >> k) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

inline std::string unbase64(const std::string& in) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (c == '=' || !p || c == '\0') continue;
    v = (v << 6) | static_cast<unsigned>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xFF);
    }
  }
  return out;
}

inline std::string sdp_uri(const std::string& sdp) { return "data:application/sdp;base64," + base64(sdp); }

}  // namespace parley::e2e
