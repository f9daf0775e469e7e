#pragma once
// Structured logging: one spdlog logger per subsystem ("http", "store", "admin", ...), all
// writing to stderr with the subsystem in the line. Never log a password, token or message body.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace parley {

// Sets the level for every subsystem logger ("trace".."critical", "off"). Returns false for an
// unknown level name.
bool set_log_level(std::string_view level);
// The logger for a subsystem, created on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& subsystem);

}  // namespace parley
