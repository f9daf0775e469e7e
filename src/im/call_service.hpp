#pragma once
// The call service behind calls.hpp, shared by its files: call.cpp (ringing, answering, hanging
// up, logs), call_media.cpp (SDP checks, policy, renegotiation), call_json.cpp (how one
// application sees a call) and call_routes.cpp (the route table and the conversation host).
// Internal to parley_im.

#include "im/calls.hpp"

#include "api/application_state.hpp"
#include "im/conversation.hpp"
#include "im/tombstones.hpp"
#include "policy/policy.hpp"
#include "proto/sdp/sdp.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::im {

enum class CallState { ringing, connected, ended };

// What the policy lets one endpoint do with media right now.
struct MediaRights {
  policy::MediaDecision decision = policy::MediaDecision::allowed;
  bool audio() const { return decision != policy::MediaDecision::refused; }
  bool video() const { return decision == policy::MediaDecision::allowed; }
};

inline constexpr std::string_view kVideoRequiresWiFi = "VideoRequiresWiFi";
inline constexpr std::string_view kVideoRequiresWiFiMessage =
    "Your policy allows video only on Wi-Fi; the call continues with audio.";

struct RingingEndpoint {
  std::string offer;        // as this endpoint sees it (its own policy may have rejected video)
  std::string restriction;  // kVideoRequiresWiFi, or empty
};

struct Renegotiation {
  std::string id;
  std::string from_app;    // who offered
  std::string intent;      // hold | resume | addVideo | stopVideo | update
  std::string offer;       // as the answering side sees it
  Clock::time_point deadline;
};

struct Call {
  std::mutex mutex;
  std::string id;  // the conversation's
  std::string invitation_id;
  std::string thread_id, subject, importance, operation_id, session_context;
  std::string caller, caller_app, callee, callee_app;  // callee_app: empty while ringing
  CallState state = CallState::ringing;
  std::map<std::string, RingingEndpoint> ringing;  // the callee's endpoints, by application id
  std::string caller_restriction, callee_restriction;
  bool video = false;       // a video section is active now
  bool video_used = false;  // was at some point: the history says VideoLog
  std::string held_by;      // who put the call on hold; empty: not on hold
  Clock::time_point deadline;  // of the ringing
  std::int64_t answered_ms = 0;
  std::optional<Renegotiation> renegotiation;

  bool member(const api::Application& app) const;
  const std::string& restriction_for(const api::Application& app) const;
};

// ---- JSON (call_json.cpp) -------------------------------------------------------------------

std::string call_conv_href(const api::Application& app, const Call& c);
std::string call_inv_href(const api::Application& app, const Call& c);
std::string sdp_data_uri(std::string_view sdp);
// `state_override` as in conversation_json: the state to show; empty: derived.
boost::json::object call_conversation_json(const api::Application& app, const Call& c,
                                           std::string_view state_override = {});
boost::json::object audio_video_json(const api::Application& app, const Call& c,
                                     std::string_view state_override = {});
boost::json::object call_invitation_json(const api::Application& app, const Call& c, bool incoming,
                                         std::string_view state);
boost::json::object negotiation_json(const api::Application& app, const Call& c,
                                     std::string_view answer);
// The offering side sees it without links to answer; the answering side with them and the offer.
boost::json::object renegotiation_json(const api::Application& app, const Call& c,
                                       const Renegotiation& r, bool incoming,
                                       std::string_view answer = {});
boost::json::object call_participants_json(const api::Application& app, const Call& c);

// ---- SDP and policy (call_media.cpp) ------------------------------------------------------

// A request carrying SDP: a 64 KiB description base64-encoded in JSON is larger than a UCWA body
// may otherwise be, and the description's own limit is what a client must hear about (InvalidSdp).
inline constexpr std::size_t kMaxSdpRequestBytes = 2 * proto::sdp::kMaxBytes;

// A description a client sent, checked: size, grammar, ICE credentials and DTLS fingerprint, and
// some audio or video. Throws BadRequest (subcode InvalidSdp) saying what is wrong.
proto::sdp::Description checked_sdp(std::string_view text, std::string_view what);
// The SDP of a request: a raw application/sdp body, or JSON with `_links.<link>.href` a data URI
// of application/sdp. Throws ParameterValidationFailure / UnsupportedMediaType / BadRequest.
std::string sdp_of_request(std::string_view content_type, std::string_view body,
                           std::string_view link);
// `sdp` with video rejected when `rights` do not allow it; sets `restriction` when it had to.
// Throws Forbidden when `rights` allow no audio at all.
std::string apply_rights(proto::sdp::Description sdp, const MediaRights& rights,
                         std::string& restriction);
// 403 for an endpoint whose policy allows no IP audio: IPAudioVideoDisabled or WiFiRequired.
[[noreturn]] void refuse_media(const policy::MobilityPolicy& p);

// ---- the service --------------------------------------------------------------------------

class CallService : public ConversationHost, public std::enable_shared_from_this<CallService> {
public:
  CallService(api::Engine& engine, CallLimits limits);

  void register_routes(http::SiteRouters& routers);

  // ConversationHost
  std::optional<boost::json::object> conversation(const api::Application& app,
                                                  std::string_view id) override;
  std::vector<boost::json::object> conversations(const api::Application& app) override;
  std::optional<boost::json::object> participants(const api::Application& app,
                                                  std::string_view id) override;
  std::optional<boost::json::object> participant(const api::Application& app, std::string_view id,
                                                 std::string_view user) override;
  bool leave(api::Application& app, std::string_view id) override;
  bool ended_for(const api::Application& app, std::string_view id) const override;

private:
  using Awaitable = boost::asio::awaitable<http::Response>;
  using CallPtr = std::shared_ptr<Call>;

  // ---- lookups ----
  CallPtr find(std::string_view id) const;
  CallPtr find_by_invitation(std::string_view id) const;
  void index(const CallPtr& c);
  void unindex(const Call& c);
  std::vector<CallPtr> all() const;
  // The call `app` is in (caller, or the callee's answering endpoint); 410 ConversationEnded for
  // one that ended, 404 for anyone else.
  CallPtr member_call(const api::Application& app, std::string_view id) const;
  [[noreturn]] void missing_invitation(const api::Application& app, std::string_view id) const;
  std::shared_ptr<api::Application> app_of(const std::string& id) const { return engine_.find(id); }

  // ---- policy ----
  boost::asio::awaitable<policy::MobilityPolicy> policy_of(std::string user);
  static MediaRights rights_of(const policy::MobilityPolicy& p, const api::Application& app);

  // ---- events ----
  void push(api::Application& app, std::string_view sender_rel, const std::string& sender_href,
            std::string_view rel, const std::string& href, events::EventType type,
            boost::json::object embedded, std::string_view status = {},
            boost::json::object reason = {});
  void push_comm(api::Application& app, std::string_view rel, const std::string& href,
                 events::EventType type, boost::json::object embedded, std::string_view status = {},
                 boost::json::object reason = {});
  void push_conv(api::Application& app, const Call& c, std::string_view rel,
                 const std::string& href, events::EventType type, boost::json::object embedded,
                 std::string_view status = {});

  // ---- operations (call mutex held where named *_locked) ----
  // Ends the ringing: outcome "declined", "timeout", "cancelled", "unreachable" (the call ends),
  // or "accepted" (the endpoints that did not answer stop ringing).
  void end_ringing_locked(Call& c, std::string_view outcome);
  void hang_up_locked(Call& c);
  void end_renegotiation_locked(Call& c, bool success, std::string_view answer,
                                std::string_view why);
  void record_end(const Call& c, bool missed);
  void tick();
  void reset(api::Application& app);

  Awaitable start(http::Request& req, api::Application& app);
  Awaitable accept(http::Request& req, api::Application& app);
  Awaitable decline(http::Request& req, api::Application& app);
  Awaitable cancel(http::Request& req, api::Application& app);
  Awaitable hang_up(http::Request& req, api::Application& app);
  Awaitable renegotiate(http::Request& req, api::Application& app);
  Awaitable answer_renegotiation(http::Request& req, api::Application& app);
  Awaitable decline_renegotiation(http::Request& req, api::Application& app);

  api::Engine& engine_;
  api::EngineContext ctx_;
  CallLimits limits_;
  mutable std::shared_mutex index_mutex_;
  std::unordered_map<std::string, CallPtr> calls_;                  // by conversation id
  std::unordered_map<std::string, std::string> invitation_index_;   // invitation → conversation
  // Ended calls and invitations, per endpoint that took part: 410 rather than 404.
  mutable Tombstones tombstones_{100000, std::chrono::hours(1)};
};

}  // namespace parley::im
