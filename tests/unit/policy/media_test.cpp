// media_allowed: every combination of the flags that decide media, on every network type, for
// every modality.

#include <gtest/gtest.h>

#include "policy/policy.hpp"

namespace parley::policy {
namespace {

constexpr auto ok = MediaDecision::allowed;
constexpr auto audio = MediaDecision::audio_only;
constexpr auto no = MediaDecision::refused;

struct Row {
  bool ip_audio_video, wifi_audio, wifi_video, wifi_sharing;
  MediaDecision on_wifi[3];      // audio, video, sharing on Wi-Fi or wired
  MediaDecision off_wifi[3];     // the same on cellular or an unknown network
};

// clang-format off
constexpr Row kMatrix[] = {
  // IPAV  Aud    Vid    Share     Wi-Fi/wired        cellular/unknown
  {true,  false, false, false, {ok, ok, ok},  {ok, ok,    ok}},
  {true,  false, false, true,  {ok, ok, ok},  {ok, ok,    no}},
  {true,  false, true,  false, {ok, ok, ok},  {ok, audio, ok}},
  {true,  false, true,  true,  {ok, ok, ok},  {ok, audio, no}},
  {true,  true,  false, false, {ok, ok, ok},  {no, no,    ok}},
  {true,  true,  false, true,  {ok, ok, ok},  {no, no,    no}},
  {true,  true,  true,  false, {ok, ok, ok},  {no, no,    ok}},
  {true,  true,  true,  true,  {ok, ok, ok},  {no, no,    no}},
  {false, false, false, false, {no, no, ok},  {no, no,    ok}},
  {false, false, false, true,  {no, no, ok},  {no, no,    no}},
  {false, false, true,  false, {no, no, ok},  {no, no,    ok}},
  {false, false, true,  true,  {no, no, ok},  {no, no,    no}},
  {false, true,  false, false, {no, no, ok},  {no, no,    ok}},
  {false, true,  false, true,  {no, no, ok},  {no, no,    no}},
  {false, true,  true,  false, {no, no, ok},  {no, no,    ok}},
  {false, true,  true,  true,  {no, no, ok},  {no, no,    no}},
};
// clang-format on

const char* name_of(MediaDecision d) {
  switch (d) {
    case MediaDecision::allowed: return "allowed";
    case MediaDecision::audio_only: return "audio_only";
    case MediaDecision::refused: return "refused";
  }
  return "?";
}

TEST(MediaAllowed, WholeMatrix) {
  constexpr NetworkType kNetworks[] = {NetworkType::wifi, NetworkType::wired,
                                       NetworkType::cellular, NetworkType::unknown};
  constexpr Modality kModalities[] = {Modality::audio, Modality::video, Modality::sharing};
  int checked = 0;
  for (const Row& row : kMatrix) {
    MobilityPolicy p;
    p.enable_ip_audio_video = row.ip_audio_video;
    p.require_wifi_for_ip_audio = row.wifi_audio;
    p.require_wifi_for_ip_video = row.wifi_video;
    p.require_wifi_for_sharing = row.wifi_sharing;
    for (NetworkType n : kNetworks) {
      const bool wifi_like = n == NetworkType::wifi || n == NetworkType::wired;
      for (int m = 0; m < 3; ++m) {
        const MediaDecision want = wifi_like ? row.on_wifi[m] : row.off_wifi[m];
        const MediaDecision got = media_allowed(p, n, kModalities[m]);
        EXPECT_EQ(got, want) << "IPAudioVideo=" << row.ip_audio_video
                             << " WifiAudio=" << row.wifi_audio << " WifiVideo=" << row.wifi_video
                             << " WifiSharing=" << row.wifi_sharing << " network="
                             << to_string(n) << " modality=" << m << ": got " << name_of(got)
                             << ", want " << name_of(want);
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 16 * 4 * 3);
}

TEST(MediaAllowed, OtherSettingsDoNotDecideMedia) {
  // Mobility off or Cellular voice do not change what the media rules say: those are enforced
  // elsewhere (application creation, call routing).
  MobilityPolicy p;
  p.enable_mobility = false;
  p.enable_outside_voice = false;
  p.voice_settings = "Cellular";
  p.enable_push_notifications = false;
  for (NetworkType n : {NetworkType::wifi, NetworkType::cellular})
    for (Modality m : {Modality::audio, Modality::video, Modality::sharing})
      EXPECT_EQ(media_allowed(p, n, m), MediaDecision::allowed);
}

}  // namespace
}  // namespace parley::policy
