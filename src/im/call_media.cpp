// What a call's SDP must be before Parley relays it, and what the mobility policy leaves of it.
#include "im/call_service.hpp"

#include "common/error.hpp"
#include "common/text.hpp"
#include "proto/ucwa/body.hpp"
#include "proto/ucwa/message_content.hpp"

namespace parley::im {

namespace sdp = proto::sdp;

sdp::Description checked_sdp(std::string_view text, std::string_view what) {
  const std::string name(what);
  if (text.size() > sdp::kMaxBytes)
    throw BadRequest("the " + name + " is " + std::to_string(text.size()) +
                         " bytes long; at most " + std::to_string(sdp::kMaxBytes) + " are allowed",
                     "InvalidSdp");
  auto parsed = sdp::parse(text);
  if (!parsed.description) throw BadRequest("the " + name + " is not valid SDP: " + parsed.error, "InvalidSdp");
  if (const auto problem = sdp::check_webrtc(*parsed.description); !problem.empty())
    throw BadRequest("the " + name + " cannot set up WebRTC media: " + problem, "InvalidSdp");
  if (!sdp::uses(*parsed.description, "audio") && !sdp::uses(*parsed.description, "video"))
    throw BadRequest("the " + name + " has neither audio nor video", "InvalidSdp");
  return std::move(*parsed.description);
}

std::string sdp_of_request(std::string_view content_type, std::string_view body,
                           std::string_view link) {
  const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (type == "application/sdp") return std::string(body);
  if (type != "application/json" && type != "application/vnd.microsoft.com.ucwa+json" && !type.empty())
    throw UnsupportedMediaType("send the SDP as application/sdp, or as JSON with a data: URI in _links." +
                               std::string(link));
  const auto parsed = proto::ucwa::Body::parse_json_request(content_type, body, kMaxSdpRequestBytes);
  const auto& o = parsed.object();
  const auto* links = o.if_contains("_links");
  const auto* entry = links && links->is_object() ? links->as_object().if_contains(link) : nullptr;
  const auto* href = entry && entry->is_object() ? entry->as_object().if_contains("href") : nullptr;
  if (!href || !href->is_string())
    throw ParameterValidationFailure("_links." + std::string(link) +
                                     ".href must hold the SDP as a data:application/sdp URI");
  // Decoded up to the request's own limit: a description over sdp::kMaxBytes is then refused by
  // checked_sdp as InvalidSdp, and only what is not a data: URI at all is a parameter error.
  const auto uri = proto::ucwa::parse_data_uri(href->as_string(), kMaxSdpRequestBytes);
  if (!uri)
    throw ParameterValidationFailure("_links." + std::string(link) +
                                     ".href must be a data:application/sdp;base64,... URI");
  if (uri->media_type != "application/sdp")
    throw UnsupportedMediaType("_links." + std::string(link) + " must be application/sdp, not " +
                               uri->media_type);
  return uri->data;
}

std::string apply_rights(sdp::Description d, const MediaRights& rights, std::string& restriction) {
  if (!rights.video() && sdp::uses(d, "video")) {
    sdp::reject(d, "video");
    restriction = std::string(kVideoRequiresWiFi);
    if (!sdp::uses(d, "audio"))
      throw Forbidden("your policy allows video only on Wi-Fi, and this offer has no audio to fall back to",
                      std::string(kVideoRequiresWiFi));
  }
  return sdp::serialize(d);
}

void refuse_media(const policy::MobilityPolicy& p) {
  if (!p.enable_ip_audio_video)
    throw Forbidden("your policy does not allow IP audio and video calls (EnableIPAudioVideo)",
                    "IPAudioVideoDisabled");
  throw Forbidden("your policy allows calls only on Wi-Fi (RequireWiFiForIPAudio); connect to Wi-Fi to call",
                  "WiFiRequired");
}

}  // namespace parley::im
