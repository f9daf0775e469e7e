#pragma once
// gzip for responses (the discovery and UCWA answers are JSON and XML, which compress well on
// slow mobile links).

#include <string>
#include <string_view>

namespace parley::http {

// True when an Accept-Encoding value accepts gzip (RFC 9110 §12.5.3): "gzip" or "*" listed
// with a non-zero q-value, and gzip not explicitly refused with q=0.
bool accepts_gzip(std::string_view accept_encoding);

// The gzip (RFC 1952) encoding of `data`. Throws std::runtime_error if zlib fails.
std::string gzip_compress(std::string_view data);

}  // namespace parley::http
