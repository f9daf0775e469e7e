#pragma once
// Audio and video calls in the UCWA web API (UCWA.md §5.5; Parley's wire contract in
// docs/calls.md): an audioVideoInvitation carries the caller's SDP offer to every endpoint of the
// callee that can take a call (MPOP ringing), the answer comes back as an audioVideoNegotiation,
// renegotiations carry hold/resume and video on/off, and both sides' history gets a call log.
// Parley relays SDP and never media: the endpoints do ICE through the Edge relay
// (mediaRelayAccessToken). The mobility policy is enforced here (policy::media_allowed) on the
// offering and on the answering side.

#include "api/engine.hpp"
#include "http/router.hpp"
#include "im/messaging.hpp"

#include <chrono>
#include <memory>

namespace parley::im {

struct CallLimits {
  std::chrono::milliseconds ring_timeout{30000};          // unanswered call → missed
  std::chrono::milliseconds renegotiation_timeout{30000};  // unanswered renegotiation → failed
};

// Registers the call routes and makes the call conversations visible through messaging's
// conversation routes.
void register_call_routes(api::Engine& engine, http::SiteRouters& routers, CallLimits limits,
                          MessagingService& messaging);

}  // namespace parley::im
