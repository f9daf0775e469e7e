// The SDP reader and rewriter: a real browser offer and answer read, checked, rewritten and
// written back byte for byte; hold detection; every reason a description is refused.
#include "proto/sdp/sdp.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace parley::proto::sdp {
namespace {

std::string crlf(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (const auto line : lines) {
    out += line;
    out += "\r\n";
  }
  return out;
}

// Replaces the first occurrence of `from`; fails the test when there is none, so a typo in a
// test cannot silently leave the input unchanged.
std::string replaced(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "no \"" << from << "\" in the test input";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

Description parsed(std::string_view text) {
  auto r = parse(text);
  EXPECT_TRUE(r.description.has_value()) << r.error;
  EXPECT_EQ(r.error, "");
  return r.description ? std::move(*r.description) : Description{};
}

// What the browser's RTCPeerConnection.createOffer() produces for one microphone and one camera,
// after ICE gathering (host, srflx and relay candidates).
const std::string kChromeOffer = crlf({
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 3f5a7c1e-2b4d-4c8e-9a61-0d7e5b2c9f10",
    "m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 203.0.113.7",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 "
    "network-id 1 network-cost 10",
    "a=candidate:2745394451 1 udp 1686052607 203.0.113.7 54400 typ srflx raddr 192.168.0.196 "
    "rport 46243 generation 0 network-id 1 network-cost 10",
    "a=candidate:3245138925 1 udp 41885439 198.51.100.20 61234 typ relay raddr 203.0.113.7 "
    "rport 54400 generation 0 network-id 1 network-cost 10",
    "a=candidate:435653019 1 tcp 1518280447 192.168.0.196 9 typ host tcptype active "
    "generation 0 network-id 1 network-cost 10",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:"
    "34:8E:5E:EA:6F:AF:52:CE:E6:0F",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=msid:3f5a7c1e-2b4d-4c8e-9a61-0d7e5b2c9f10 8d0b2c35-6e1f-4a7b-b2c9-51e3f0a4d6c8",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
    "a=ssrc:3570614608 cname:4TOk42mSjXCkVIa6",
    "a=ssrc:3570614608 msid:3f5a7c1e-2b4d-4c8e-9a61-0d7e5b2c9f10 "
    "8d0b2c35-6e1f-4a7b-b2c9-51e3f0a4d6c8",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 45 46",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:EsAw",
    "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:"
    "34:8E:5E:EA:6F:AF:52:CE:E6:0F",
    "a=setup:actpass",
    "a=mid:1",
    "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:13 urn:3gpp:video-orientation",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "a=sendrecv",
    "a=msid:3f5a7c1e-2b4d-4c8e-9a61-0d7e5b2c9f10 c1e9a2f4-7d3b-4b5e-8f06-2a9d4c7e1b53",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:102 H264/90000",
    "a=rtcp-fb:102 goog-remb",
    "a=rtcp-fb:102 transport-cc",
    "a=rtcp-fb:102 ccm fir",
    "a=rtcp-fb:102 nack",
    "a=rtcp-fb:102 nack pli",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "a=rtpmap:104 H264/90000",
    "a=rtcp-fb:104 goog-remb",
    "a=rtcp-fb:104 transport-cc",
    "a=rtcp-fb:104 ccm fir",
    "a=rtcp-fb:104 nack",
    "a=rtcp-fb:104 nack pli",
    "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f",
    "a=rtpmap:105 rtx/90000",
    "a=fmtp:105 apt=104",
    "a=rtpmap:45 AV1/90000",
    "a=rtcp-fb:45 goog-remb",
    "a=rtcp-fb:45 transport-cc",
    "a=rtcp-fb:45 ccm fir",
    "a=rtcp-fb:45 nack",
    "a=rtcp-fb:45 nack pli",
    "a=rtpmap:46 rtx/90000",
    "a=fmtp:46 apt=45",
    "a=ssrc-group:FID 2231627014 632943048",
    "a=ssrc:2231627014 cname:4TOk42mSjXCkVIa6",
    "a=ssrc:2231627014 msid:3f5a7c1e-2b4d-4c8e-9a61-0d7e5b2c9f10 "
    "c1e9a2f4-7d3b-4b5e-8f06-2a9d4c7e1b53",
    "a=ssrc:632943048 cname:4TOk42mSjXCkVIa6",
    "a=ssrc:632943048 msid:3f5a7c1e-2b4d-4c8e-9a61-0d7e5b2c9f10 "
    "c1e9a2f4-7d3b-4b5e-8f06-2a9d4c7e1b53",
});

// The answering browser's createAnswer(): one codec set chosen, DTLS client role, no candidates
// yet (they trickle).
const std::string kChromeAnswer = crlf({
    "v=0",
    "o=- 8120383522785430471 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 9e2d4b61-5a3c-4f7e-8d10-6b2c9a4e7f35",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:q3Vx",
    "a=ice-pwd:Zr7kP2mWc9LxT4nB8vQe1sYh",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 7B:3F:91:0C:AE:55:12:D8:4E:60:B7:29:F3:8A:C1:05:66:DE:1B:94:37:A0:"
    "5C:E2:88:0D:F6:4B:13:79:BA:2E",
    "a=setup:active",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=msid:9e2d4b61-5a3c-4f7e-8d10-6b2c9a4e7f35 a4c7e2b9-1d5f-4e83-9b06-7f2a5c8d3e14",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
    "a=ssrc:1943178342 cname:Yq8Fz3WnT0bKpL6e",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:q3Vx",
    "a=ice-pwd:Zr7kP2mWc9LxT4nB8vQe1sYh",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 7B:3F:91:0C:AE:55:12:D8:4E:60:B7:29:F3:8A:C1:05:66:DE:1B:94:37:A0:"
    "5C:E2:88:0D:F6:4B:13:79:BA:2E",
    "a=setup:active",
    "a=mid:1",
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
    "a=sendrecv",
    "a=msid:9e2d4b61-5a3c-4f7e-8d10-6b2c9a4e7f35 b8e1d3a7-4c2f-4d96-a5b0-3e7c9f1a2d64",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 ccm fir",
    "a=rtcp-fb:96 nack",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:102 H264/90000",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    "a=rtpmap:103 rtx/90000",
    "a=fmtp:103 apt=102",
    "a=ssrc-group:FID 3301958124 2874092210",
    "a=ssrc:3301958124 cname:Yq8Fz3WnT0bKpL6e",
    "a=ssrc:2874092210 cname:Yq8Fz3WnT0bKpL6e",
});

// A small description that passes check_webrtc; the error tests change one thing in it.
const std::string kSmall = crlf({
    "v=0",
    "o=- 1 1 IN IP4 192.0.2.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE a v",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "c=IN IP4 0.0.0.0",
    "a=mid:a",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:0123456789abcdefghijkl",
    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
    "66:77:88:99:AA:BB:CC:DD:EE:FF",
    "a=sendrecv",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "c=IN IP4 0.0.0.0",
    "a=mid:v",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:0123456789abcdefghijkl",
    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
    "66:77:88:99:AA:BB:CC:DD:EE:FF",
    "a=sendrecv",
});

TEST(SdpChrome, OfferIsReadWithEverySectionAndAttribute) {
  const Description d = parsed(kChromeOffer);
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.bundle, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d.session_end, 7u);
  EXPECT_EQ(d.lines[d.session_end].rfind("m=audio ", 0), 0u);

  const Media& audio = d.media[0];
  EXPECT_EQ(audio.kind, "audio");
  EXPECT_EQ(audio.port, 54400);
  EXPECT_EQ(audio.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_EQ(audio.formats,
            (std::vector<std::string>{"111", "63", "9", "0", "8", "13", "110", "126"}));
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.direction, Direction::sendrecv);
  EXPECT_EQ(audio.ice_ufrag, "EsAw");
  EXPECT_EQ(audio.ice_pwd, "bP+XJMM09aR8AiX1jdukzR6Y");
  EXPECT_EQ(audio.fingerprint.rfind("sha-256 D2:FA:0E:", 0), 0u);
  EXPECT_FALSE(audio.rejected());

  const Media& video = d.media[1];
  EXPECT_EQ(video.kind, "video");
  EXPECT_EQ(video.port, 9);
  EXPECT_EQ(video.mid, "1");
  EXPECT_EQ(video.formats.size(), 8u);
  // The sections tile the lines after the session part.
  EXPECT_EQ(audio.first_line, d.session_end);
  EXPECT_EQ(audio.end_line, video.first_line);
  EXPECT_EQ(video.end_line, d.lines.size());
  EXPECT_EQ(d.lines[video.first_line].rfind("m=video 9 ", 0), 0u);
  EXPECT_EQ(d.lines.back().rfind("a=ssrc:632943048 msid:", 0), 0u);

  EXPECT_EQ(check_webrtc(d), "");
  EXPECT_TRUE(uses(d, "audio"));
  EXPECT_TRUE(uses(d, "video"));
  EXPECT_FALSE(uses(d, "application"));
  EXPECT_FALSE(on_hold(d));
}

TEST(SdpChrome, UntouchedDescriptionsAreWrittenBackByteForByte) {
  EXPECT_EQ(serialize(parsed(kChromeOffer)), kChromeOffer);
  EXPECT_EQ(serialize(parsed(kChromeAnswer)), kChromeAnswer);
  EXPECT_EQ(serialize(parsed(kSmall)), kSmall);
}

TEST(SdpChrome, AnswerPassesTheWebrtcCheck) {
  const Description d = parsed(kChromeAnswer);
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(check_webrtc(d), "");
  EXPECT_EQ(d.media[1].ice_ufrag, "q3Vx");
  EXPECT_EQ(d.media[1].formats, (std::vector<std::string>{"96", "97", "102", "103"}));
  EXPECT_TRUE(uses(d, "video"));
  EXPECT_FALSE(on_hold(d));
}

TEST(SdpChrome, LfLineEndingsAreReadAndWrittenWithCrlf) {
  std::string lf;
  for (char c : kChromeOffer)
    if (c != '\r') lf += c;
  const Description d = parsed(lf);
  EXPECT_EQ(d.lines, parsed(kChromeOffer).lines);
  EXPECT_EQ(serialize(d), kChromeOffer);
}

TEST(SdpChrome, RejectingVideoZeroesItsPortAndTakesItOutOfTheBundle) {
  Description d = parsed(kChromeOffer);
  const std::size_t lines = d.lines.size();
  EXPECT_EQ(reject(d, "video"), 1u);

  EXPECT_TRUE(d.media[1].rejected());
  EXPECT_FALSE(d.media[0].rejected());
  EXPECT_EQ(d.lines[d.media[1].first_line],
            "m=video 0 UDP/TLS/RTP/SAVPF 96 97 102 103 104 105 45 46");
  EXPECT_EQ(d.bundle, std::vector<std::string>{"0"});
  EXPECT_EQ(d.lines.size(), lines);
  EXPECT_FALSE(uses(d, "video"));
  EXPECT_TRUE(uses(d, "audio"));

  const std::string text = serialize(d);
  EXPECT_NE(text.find("\r\na=group:BUNDLE 0\r\n"), std::string::npos);
  EXPECT_NE(text.find("\r\nm=video 0 UDP/TLS/RTP/SAVPF 96 97"), std::string::npos);
  // Everything else is relayed as it was: only " 1" left the group line.
  EXPECT_EQ(text.size(), kChromeOffer.size() - 2);

  const Description back = parsed(text);
  ASSERT_EQ(back.media.size(), 2u);
  EXPECT_EQ(back.media[1].port, 0);
  EXPECT_EQ(back.media[1].mid, "1");  // a rejected section keeps its mid (RFC 8843 §7.3.3)
  EXPECT_EQ(back.bundle, std::vector<std::string>{"0"});
  EXPECT_EQ(back.lines, d.lines);
  EXPECT_EQ(check_webrtc(back), "");

  EXPECT_EQ(reject(d, "video"), 0u);  // already rejected
  EXPECT_EQ(serialize(d), text);
}

TEST(SdpChrome, RejectingTheTaggedSectionLeavesTheRestBundled) {
  Description d = parsed(kChromeOffer);
  EXPECT_EQ(reject(d, "audio"), 1u);
  EXPECT_EQ(d.bundle, std::vector<std::string>{"1"});
  EXPECT_EQ(d.lines[4], "a=group:BUNDLE 1");
  EXPECT_EQ(d.lines[d.media[0].first_line].rfind("m=audio 0 UDP/TLS/RTP/SAVPF 111 63 ", 0), 0u);
}

TEST(SdpChrome, RejectingEverySectionRemovesTheEmptyGroupLine) {
  Description d = parsed(kChromeOffer);
  const std::size_t lines = d.lines.size();
  EXPECT_EQ(reject(d, "audio"), 1u);
  EXPECT_EQ(reject(d, "VIDEO"), 1u);
  EXPECT_TRUE(d.bundle.empty());
  ASSERT_EQ(d.lines.size(), lines - 1);
  EXPECT_EQ(d.session_end, 6u);
  EXPECT_EQ(d.lines[4], "a=extmap-allow-mixed");
  // The index still points at the right lines after the removal.
  EXPECT_EQ(d.lines[d.media[0].first_line].rfind("m=audio 0 ", 0), 0u);
  EXPECT_EQ(d.lines[d.media[1].first_line].rfind("m=video 0 ", 0), 0u);
  EXPECT_EQ(d.media[0].end_line, d.media[1].first_line);
  EXPECT_EQ(d.media[1].end_line, d.lines.size());

  const Description back = parsed(serialize(d));
  EXPECT_EQ(back.lines, d.lines);
  EXPECT_EQ(back.session_end, d.session_end);
  EXPECT_TRUE(back.bundle.empty());
  EXPECT_FALSE(uses(back, "audio"));
  EXPECT_FALSE(on_hold(back));
}

TEST(Sdp, RejectReplacesAPortWithACount) {
  Description d = parsed(crlf({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0",
                               "m=audio 49170/2 RTP/AVP 0 8", "m=video 51372 RTP/AVP 31"}));
  EXPECT_EQ(d.media[0].port, 49170);
  EXPECT_EQ(reject(d, "audio"), 1u);
  EXPECT_EQ(d.lines[4], "m=audio 0 RTP/AVP 0 8");
  EXPECT_EQ(d.lines[5], "m=video 51372 RTP/AVP 31");
  EXPECT_EQ(reject(d, "application"), 0u);
}

TEST(Sdp, SessionLevelAttributesAreInheritedUnlessASectionHasItsOwn) {
  const Description d = parsed(crlf({
      "v=0",
      "o=mozilla...THIS_IS_SDPARTA-99.0 5813204791 0 IN IP4 0.0.0.0",
      "s=-",
      "t=0 0",
      "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:"
      "66:77:88:99:AA:BB:CC:DD:EE:FF",
      "a=ice-ufrag:sess",
      "a=ice-pwd:sessionpassword0123456",
      "a=sendonly",
      "a=group:BUNDLE 0 1",
      "m=audio 9 UDP/TLS/RTP/SAVPF 109",
      "a=mid:0",
      "m=video 9 UDP/TLS/RTP/SAVPF 120",
      "a=mid:1",
      "a=ice-ufrag:own1",
      "a=ice-pwd:ownpassword01234567890",
      "a=recvonly",
  }));
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.bundle, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(d.media[0].ice_ufrag, "sess");
  EXPECT_EQ(d.media[0].ice_pwd, "sessionpassword0123456");
  EXPECT_EQ(d.media[0].direction, Direction::sendonly);
  EXPECT_EQ(d.media[1].ice_ufrag, "own1");
  EXPECT_EQ(d.media[1].ice_pwd, "ownpassword01234567890");
  EXPECT_EQ(d.media[1].direction, Direction::recvonly);
  EXPECT_EQ(d.media[0].fingerprint, d.media[1].fingerprint);
  EXPECT_EQ(d.media[1].fingerprint.rfind("sha-256 00:11:", 0), 0u);
  EXPECT_EQ(check_webrtc(d), "");
}

TEST(Sdp, DirectionNames) {
  EXPECT_EQ(to_string(Direction::sendrecv), "sendrecv");
  EXPECT_EQ(to_string(Direction::sendonly), "sendonly");
  EXPECT_EQ(to_string(Direction::recvonly), "recvonly");
  EXPECT_EQ(to_string(Direction::inactive), "inactive");
}

// --- hold -------------------------------------------------------------------------------------

std::string with_directions(std::string_view audio, std::string_view video) {
  std::string text = kSmall;
  const auto first = text.find("a=sendrecv");
  text.replace(first, 10, audio);
  const auto second = text.find("a=sendrecv", first + audio.size());
  text.replace(second, 10, video);
  return text;
}

TEST(SdpHold, SendonlyOrInactiveEverywhereIsHold) {
  EXPECT_TRUE(on_hold(parsed(with_directions("a=sendonly", "a=sendonly"))));
  EXPECT_TRUE(on_hold(parsed(with_directions("a=inactive", "a=inactive"))));
  EXPECT_TRUE(on_hold(parsed(with_directions("a=sendonly", "a=inactive"))));
}

TEST(SdpHold, AnySectionStillReceivingIsNotHold) {
  EXPECT_FALSE(on_hold(parsed(kSmall)));
  EXPECT_FALSE(on_hold(parsed(with_directions("a=recvonly", "a=recvonly"))));
  EXPECT_FALSE(on_hold(parsed(with_directions("a=sendonly", "a=sendrecv"))));
  EXPECT_FALSE(on_hold(parsed(with_directions("a=inactive", "a=recvonly"))));
}

TEST(SdpHold, RejectedSectionsDoNotCount) {
  Description d = parsed(with_directions("a=sendonly", "a=sendrecv"));
  EXPECT_FALSE(on_hold(d));
  reject(d, "video");
  EXPECT_TRUE(on_hold(d));
  reject(d, "audio");
  EXPECT_FALSE(on_hold(d));  // nothing active: not a hold, just nothing
}

TEST(SdpHold, SessionLevelDirectionAppliesToSectionsWithoutTheirOwn) {
  std::string text = replaced(kSmall, "t=0 0\r\n", "t=0 0\r\na=inactive\r\n");
  text = replaced(text, "a=sendrecv\r\n", "");
  text = replaced(text, "a=sendrecv\r\n", "");
  EXPECT_TRUE(on_hold(parsed(text)));
}

// --- data channels ----------------------------------------------------------------------------

TEST(SdpDataChannel, DataChannelOnlyDescriptionPassesTheWebrtcCheck) {
  const Description d = parsed(crlf({
      "v=0",
      "o=- 2690462521178311384 2 IN IP4 127.0.0.1",
      "s=-",
      "t=0 0",
      "a=group:BUNDLE 0",
      "a=extmap-allow-mixed",
      "a=msid-semantic: WMS",
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
      "c=IN IP4 0.0.0.0",
      "a=ice-ufrag:Hn7e",
      "a=ice-pwd:3tBqFw9sPz1LkR5xVn2mYc8d",
      "a=ice-options:trickle",
      "a=fingerprint:sha-256 D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:"
      "34:8E:5E:EA:6F:AF:52:CE:E6:0F",
      "a=setup:actpass",
      "a=mid:0",
      "a=sctp-port:5000",
      "a=max-message-size:262144",
  }));
  ASSERT_EQ(d.media.size(), 1u);
  EXPECT_EQ(d.media[0].kind, "application");
  EXPECT_EQ(d.media[0].formats, std::vector<std::string>{"webrtc-datachannel"});
  EXPECT_EQ(check_webrtc(d), "");
  EXPECT_TRUE(uses(d, "application"));
  EXPECT_FALSE(uses(d, "audio"));
  EXPECT_FALSE(on_hold(d));
}

// --- line endings -----------------------------------------------------------------------------

TEST(SdpLines, TrailingEmptyLineAndMissingFinalNewlineAreAccepted) {
  EXPECT_EQ(parsed(kSmall + "\r\n").lines, parsed(kSmall).lines);
  EXPECT_EQ(parsed(kSmall.substr(0, kSmall.size() - 2)).lines, parsed(kSmall).lines);
}

void expect_error(std::string_view text, std::string_view why) {
  const auto r = parse(text);
  EXPECT_FALSE(r.description.has_value()) << "accepted; expected: " << why;
  EXPECT_NE(r.error.find(why), std::string::npos) << "error was: " << r.error;
}

TEST(SdpLines, EmptyLineInTheMiddleIsRefused) {
  expect_error(replaced(kSmall, "s=-\r\n", "s=-\r\n\r\n"), "line 4: empty line");
  expect_error(replaced(kSmall, "s=-\r\n", "s=-\n\n"), "line 4: empty line");
}

// --- parse errors -----------------------------------------------------------------------------

TEST(SdpErrors, VersionLine) {
  expect_error(replaced(kSmall, "v=0\r\n", ""), "must start with v=0");
  expect_error(replaced(kSmall, "v=0\r\n", "v=1\r\n"), "unsupported SDP version \"1\"");
  expect_error(replaced(kSmall, "s=-\r\n", "s=-\r\nv=0\r\n"), "v= may only be the first line");
  expect_error("", "empty");
  expect_error("\r\n\r\n", "empty");
}

TEST(SdpErrors, MissingSessionLines) {
  expect_error(replaced(kSmall, "o=- 1 1 IN IP4 192.0.2.1\r\n", ""), "no o= line");
  expect_error(replaced(kSmall, "s=-\r\n", ""), "no s= line");
  expect_error(replaced(kSmall, "t=0 0\r\n", ""), "no t= line");
  // Only the session level counts.
  expect_error(replaced(replaced(kSmall, "t=0 0\r\n", ""), "c=IN IP4 0.0.0.0\r\na=mid:v",
                        "t=0 0\r\na=mid:v"),
               "no t= line");
}

TEST(SdpErrors, NoMediaSection) {
  expect_error(crlf({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0", "a=sendrecv"}),
               "no m= section");
}

TEST(SdpErrors, MalformedMediaLines) {
  expect_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9"),
               "line 13: malformed m= line");
  expect_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9 UDP/TLS/RTP/SAVPF"),
               "has no formats");
  expect_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 70000 RTP/AVP 96"),
               "port 70000 is out of range (0..65535)");
  expect_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video nine RTP/AVP 96"),
               "port \"nine\" is not a number");
  expect_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video -1 RTP/AVP 96"),
               "is not a number");
  expect_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9/0 RTP/AVP 96"),
               "number of ports \"0\"");
  expect_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF 96",
                        "m=video 99999999999999999999 RTP/AVP 96"),
               "out of range");
  // The highest port is fine.
  EXPECT_EQ(parsed(replaced(kSmall, "m=video 9 ", "m=video 65535 ")).media[1].port, 65535);
}

TEST(SdpErrors, LinesThatAreNotTypeEqualsValue) {
  expect_error(replaced(kSmall, "s=-\r\n", "s=-\r\nhello\r\n"), "line 4: \"hello\" is not of the form");
  expect_error(replaced(kSmall, "s=-\r\n", "s=-\r\nA=b\r\n"), "is not of the form");
  expect_error(replaced(kSmall, "s=-\r\n", "s=-\r\n =x\r\n"), "is not of the form");
}

TEST(SdpErrors, DuplicateMid) {
  expect_error(replaced(kSmall, "a=mid:v", "a=mid:a"), "mid \"a\" is used by more than one");
}

TEST(SdpErrors, TooBig) {
  std::string text = kSmall;
  while (text.size() <= kMaxBytes) text += "a=x-padding:" + std::string(1000, 'p') + "\r\n";
  expect_error(text, "the limit is 65536");
}

TEST(SdpErrors, TooBigOnceLineEndingsAreCrlf) {
  // Under the limit as sent with LF, over it as it would be relayed.
  std::string text = replaced(kSmall, "\r\n", "\n");
  while (text.size() < kMaxBytes - 1100) text += "a=x-padding:" + std::string(1000, 'p') + "\n";
  text += "a=x-last:" + std::string(kMaxBytes - 20 - text.size(), 'p') + "\n";
  ASSERT_LE(text.size(), kMaxBytes);
  expect_error(text, "with CRLF line endings");
}

TEST(SdpErrors, TooManyLines) {
  std::string text = kSmall;
  for (std::size_t i = 0; i < kMaxLines; ++i) text += "a=x\r\n";
  ASSERT_LE(text.size(), kMaxBytes);
  expect_error(text, "lines; the limit is 4096");
}

TEST(SdpErrors, LineTooLong) {
  expect_error(replaced(kSmall, "s=-", "s=" + std::string(kMaxLineBytes, 'x')),
               "line 3: the line is 4098 bytes; the limit is 4096");
  // Exactly at the limit is fine.
  parsed(replaced(kSmall, "s=-", "s=" + std::string(kMaxLineBytes - 2, 'x')));
}

TEST(SdpErrors, TooManyMediaSections) {
  std::string text = crlf({"v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "t=0 0"});
  for (std::size_t i = 0; i < kMaxMedia; ++i) text += "m=audio 0 RTP/AVP 0\r\n";
  EXPECT_EQ(parsed(text).media.size(), kMaxMedia);
  expect_error(text + "m=audio 0 RTP/AVP 0\r\n", "more than 64 m= sections");
}

TEST(SdpErrors, ControlCharacters) {
  expect_error(replaced(kSmall, "s=-", std::string("s=a\0b", 5)), "line 3: control character 0x00");
  expect_error(replaced(kSmall, "s=-", "s=a\x1b[31m"), "control character 0x1B");
  expect_error(replaced(kSmall, "s=-", "s=a\rb"), "control character 0x0D");
  expect_error(replaced(kSmall, "s=-", "s=a\x7f"), "control character 0x7F");
  expect_error(replaced(kSmall, "s=-", "s=a\xc2\x85"), "control character U+0085");
  // A bare CR as a line ending is not one.
  expect_error(replaced(kSmall, "s=-\r\n", "s=-\rt=0 0\r\n"), "control character 0x0D");
  // Tab and printable non-ASCII text are fine.
  const Description d = parsed(replaced(kSmall, "s=-", "s=Caf\xc3\xa9\tmeeting \xe2\x98\x8e"));
  EXPECT_EQ(d.lines[2], "s=Caf\xc3\xa9\tmeeting \xe2\x98\x8e");
}

TEST(SdpErrors, InvalidUtf8) {
  expect_error(replaced(kSmall, "s=-", "s=\xff"), "line 3: invalid UTF-8");
  expect_error(replaced(kSmall, "s=-", "s=\xc3"), "invalid UTF-8");          // truncated
  expect_error(replaced(kSmall, "s=-", "s=\xc0\xaf"), "invalid UTF-8");      // overlong
  expect_error(replaced(kSmall, "s=-", "s=\xed\xa0\x80"), "invalid UTF-8");  // surrogate
  expect_error(replaced(kSmall, "s=-", "s=\xf4\x90\x80\x80"), "invalid UTF-8");  // > U+10FFFF
}

// --- WebRTC requirements ----------------------------------------------------------------------

void expect_webrtc_error(const std::string& text, std::string_view why) {
  const std::string error = check_webrtc(parsed(text));
  EXPECT_NE(error.find(why), std::string::npos) << "error was: \"" << error << "\"";
}

TEST(SdpWebrtc, MissingIcePassword) {
  expect_webrtc_error(replaced(kSmall, "a=ice-pwd:0123456789abcdefghijkl\r\n", ""),
                      "the audio section has no ICE credentials (a=ice-ufrag/a=ice-pwd)");
}

TEST(SdpWebrtc, MissingIceUfragInTheSecondSection) {
  std::string text = kSmall;
  text.erase(text.rfind("a=ice-ufrag:abcd\r\n"), 18);
  expect_webrtc_error(text, "the video section has no ICE credentials");
}

TEST(SdpWebrtc, ShortIceCredentials) {
  expect_webrtc_error(replaced(kSmall, "a=ice-pwd:0123456789abcdefghijkl", "a=ice-pwd:tooshort"),
                      "the audio section's ICE password is 8 characters; RFC 8839 requires 22 to 256");
  expect_webrtc_error(replaced(kSmall, "a=ice-ufrag:abcd", "a=ice-ufrag:abc"),
                      "ICE username fragment is 3 characters");
  expect_webrtc_error(replaced(kSmall, "a=ice-ufrag:abcd", "a=ice-ufrag:ab-d"),
                      "may only use letters, digits");
}

TEST(SdpWebrtc, Fingerprints) {
  expect_webrtc_error(replaced(kSmall, "a=fingerprint:sha-256", "a=x-fingerprint:sha-256"),
                      "the audio section has no DTLS fingerprint");
  expect_webrtc_error(replaced(kSmall, "a=fingerprint:sha-256", "a=fingerprint:md5"),
                      "the audio section's DTLS fingerprint uses an unknown hash md5");
  expect_webrtc_error(replaced(kSmall, "a=fingerprint:sha-256 00:11:", "a=fingerprint:sha-1 00:11:"),
                      "is not sha-1 followed by 20 colon-separated hex bytes");
  expect_webrtc_error(replaced(kSmall, "a=fingerprint:sha-256 00:", "a=fingerprint:sha-256 0G:"),
                      "is not sha-256 followed by 32");
  // Hash names are case-insensitive (RFC 8122 §5).
  EXPECT_EQ(check_webrtc(parsed(replaced(kSmall, "a=fingerprint:sha-256", "a=fingerprint:SHA-256"))),
            "");
}

TEST(SdpWebrtc, ProtocolWithoutDtls) {
  expect_webrtc_error(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP"),
                      "the video section's protocol RTP/AVP does not use DTLS");
  expect_webrtc_error(replaced(kSmall, "m=audio 9 UDP/TLS/RTP/SAVPF", "m=audio 9 RTP/SAVPF"),
                      "protocol RTP/SAVPF does not use DTLS");
  EXPECT_EQ(check_webrtc(parsed(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF",
                                         "m=video 9 TCP/DTLS/RTP/SAVPF"))),
            "");
}

TEST(SdpWebrtc, RejectedSectionsAreNotChecked) {
  Description d = parsed(replaced(kSmall, "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP"));
  EXPECT_NE(check_webrtc(d), "");
  reject(d, "video");
  EXPECT_EQ(check_webrtc(d), "");
}

TEST(SdpWebrtc, RepeatedKindsAreNumbered) {
  std::string text = replaced(kSmall, "m=audio 9 UDP/TLS/RTP/SAVPF", "m=video 9 UDP/TLS/RTP/SAVPF");
  text = replaced(text, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9 RTP/AVP 96");
  expect_webrtc_error(text, "the video section #2's protocol RTP/AVP");
}

}  // namespace
}  // namespace parley::proto::sdp
