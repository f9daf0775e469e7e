#pragma once
// The JSON bodies the event channel sends (UCWA.md §4 "Response shape"). Internal to
// parley_events: the channel forms a body once and keeps the text, so a resend is the same bytes.

#include "events/event_channel.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::events::detail {

// `<events_path>?ack=N` plus `&instanceId=<encoded>` when the instance id is not empty.
std::string events_href(std::string_view events_path, std::string_view instance_query,
                        std::uint64_t ack);

// "&instanceId=..." with the id percent-encoded, or empty for an empty id.
std::string instance_query(std::string_view instance_id);

// Package `ack` holding `events` in the order given, except that `completed` events move after
// the others. Consecutive events of one sender share a `sender` entry. With `resume`, the
// package also carries `_links.resume` (pointing where `next` does).
std::string package_body(std::string_view events_path, std::string_view instance_query,
                         std::uint64_t ack, std::vector<Event>& events, bool resume);

// Only `_links.resync`, pointing at package `first_unacked`.
std::string resync_body(std::string_view events_path, std::string_view instance_query,
                        std::uint64_t first_unacked);

}  // namespace parley::events::detail
