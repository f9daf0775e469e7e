#pragma once
// Which UCWA events wake a device, and what the notification says (privacy first: who and what
// kind, never the message text unless the administrator allows previews). Pure: no I/O.

#include "events/event_channel.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::push {

// Delivery tiers, after Prosody's urgent/important/summary split.
enum class Tier {
  urgent,     // calls: APNs priority 10 (VoIP push type for PushKit tokens), FCM high
  important,  // messages, invitations, missed calls: an alert
  silent,     // counts only (badge): a background push, APNs priority 5
};

enum class Kind { incoming_call, missed_call, invitation, message, missed_items, test };
std::string_view to_string(Kind k);  // "call", "missedCall", "invitation", "message", "missedItems", "test"

struct Notification {
  Kind kind = Kind::test;
  Tier tier = Tier::important;
  std::string from;          // "alice@example.org"; empty for counts
  std::string conversation;  // the conversation (or call) id the app fetches
  std::string collapse_id;   // a later notification with the same id replaces this one
  std::string preview;       // message text; sent only when previews are allowed
  std::int64_t badge = -1;   // missed items; -1: unknown (the badge is left alone)
  bool video = false;        // an incoming video call
};

// The notification an event queued for an application stands for; nullopt for events that do not
// wake a device (presence, outgoing operations, ...). Looks only at the event's own JSON.
std::optional<Notification> classify(const events::Event& e);

// What the user reads: title and body. `display_from` is the sender's display name (or address);
// `previews` lets the message text through, cut to 200 characters.
struct Text {
  std::string title;
  std::string body;
};
Text text_of(const Notification& n, std::string_view display_from, bool previews);

}  // namespace parley::push
