#pragma once
// The HTTP/1.1 wire form of a Response: status line, headers, body, in one contiguous buffer so
// that a small answer leaves in a single send.

#include "http/message.hpp"

#include <string>
#include <string_view>

namespace parley::http {

// The reason phrase for a status code ("Not Found"); "Unknown" for codes without one.
std::string_view reason_phrase(int status);

// Serialises `res` as HTTP/1.1. Adds Content-Length (omitted for 1xx, 204 and 304), and
// "Connection: close" when `keep_alive` is false. For a HEAD request (`head`), the headers
// describe the body but the body itself is left out. Header names or values containing CR, LF
// or NUL are dropped rather than sent (they cannot be represented safely).
std::string serialize_response(const Response& res, bool head, bool keep_alive);

}  // namespace parley::http
