#pragma once
// Wall-clock helpers. Times are kept as milliseconds since the Unix epoch everywhere.

#include <cstdint>
#include <string>

namespace parley {

std::int64_t now_ms();
// "2026-11-24T09:00:00.000Z"
std::string iso8601_utc(std::int64_t ms_since_epoch);

}  // namespace parley
