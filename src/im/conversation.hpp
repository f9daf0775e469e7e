#pragma once
// The messaging service's in-memory conversations (im/messaging.cpp) and how one application
// sees them as UCWA resources (UCWA.md §5.3, §5.4). Internal to src/im.

#include "api/engine.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace parley::im {

using Clock = std::chrono::steady_clock;

enum class ConvState { connecting, connected, ended };

struct Member {
  std::string user;
  std::string app_id;  // the endpoint the user is in the conversation with; empty while invited
  bool connected = false;
  Clock::time_point typing_until{};
};

struct Invitation {
  std::string id;
  std::string from;  // who invited
  std::string from_app;
  std::string to;    // who is invited
  std::string operation_id;
  std::set<std::string> ringing;  // application ids of `to` that show the invitation
  Clock::time_point deadline;
  bool participant_invitation = false;  // added to a running conversation (addParticipant)
  std::string first_format, first_text;  // the first message, for the recipient
};

struct Conversation {
  std::string id, thread_id, subject, importance, initiator;
  std::mutex mutex;
  ConvState state = ConvState::connecting;
  std::map<std::string, Member> members;  // by user
  std::map<std::string, Invitation> invitations;  // pending, by id
  bool html = false;  // Html negotiated (every connected endpoint supports it)
};


// hrefs and JSON, as one application sees them.
std::string conv_href(const api::Application& app, const Conversation& c);
// The invited endpoints see every invitation as a messagingInvitation; the inviter of a
// participant (addParticipant) sees a participantInvitation.
std::string inv_href(const api::Application& app, const Invitation& i, bool incoming);
std::string participant_href(const api::Application& app, const Conversation& c, std::string_view user);
boost::json::object participant_json(const api::Application& app, const Conversation& c,
                                     std::string_view user);
// The same for the conversation at `conversation` (an href; calls keep their own conversations).
boost::json::object participant_json_at(const api::Application& app, std::string_view conversation,
                                        std::string_view user);
// `state_override`: the state to show (e.g. "Disconnected" in a deleted event); empty: derived.
boost::json::object conversation_json(const api::Application& app, const Conversation& c,
                                      std::string_view state_override = {});
boost::json::object messaging_json(const api::Application& app, const Conversation& c, bool connected);
boost::json::object invitation_json(const api::Application& app, const Conversation& c,
                                    const Invitation& inv, bool incoming, std::string_view state);
// A message resource as JSON text, as message events carry it (an event per delivered message
// is written out at once; building a JSON tree for it only to serialize it cost more than the
// rest of the event). `operation_id`: the sender's own operation, echoed back to her.
// `conversation`: the conversation's href for `app` (conv_href), which the caller has at hand.
std::string message_json_text(const api::Application& app, std::string_view conversation,
                              std::int64_t seq, std::string_view sender, std::int64_t at,
                              std::string_view format, std::string_view text,
                              std::string_view operation_id = {});
// The same as a JSON object, for the rare resource that embeds one.
boost::json::object message_json(const api::Application& app, const Conversation& c, std::int64_t seq,
                                 std::string_view sender, std::int64_t at, std::string_view format,
                                 std::string_view text);

}  // namespace parley::im
