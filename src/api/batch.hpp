#pragma once
// UCWA batching (UCWA.md §0 "Batch"): `POST {app}/batch` carries several HTTP/1.1 requests as the
// parts of a `multipart/batching` body, and the answer carries their responses, in the same
// order, as the parts of another one. This file holds the codec (no I/O) and the route.

#include "http/message.hpp"
#include "http/router.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::api {

class Engine;

// More parts than this and the whole batch is refused: one request must not be able to hold an
// application's worker for long.
inline constexpr std::size_t kMaxBatchParts = 20;

// One request taken out of a batch part, as the client wrote it.
struct EmbeddedRequest {
  std::string method;  // "GET"
  std::string target;  // "/ucwa/oauth/v1/applications/123/me" (not validated here)
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::string body;    // byte for byte
};

// True for the media types a batch may be sent as (multipart/batching, and multipart/mixed which
// some generic multipart writers produce), parameters ignored.
bool is_batch_media_type(std::string_view content_type);

// The boundary parameter of a multipart Content-Type (quoted or not); empty when absent.
std::string boundary_of(std::string_view content_type);

// Splits a batch body into its embedded requests. Line breaks may be CRLF or bare LF; preamble
// and epilogue are ignored. Throws parley::BadRequest for a wrong media type, a missing
// boundary, a malformed part or more than kMaxBatchParts parts, and parley::EntityTooLarge for a
// header section too long to be sane. Nothing else escapes.
std::vector<EmbeddedRequest> parse_batch(std::string_view content_type, std::string_view body);

// The body of a batch answer: one `application/http; msgtype=response` part per response, in
// order, closed by the final delimiter. `boundary` must not occur in any response (see
// new_batch_boundary). Never throws except std::bad_alloc.
std::string serialize_batch(const std::vector<http::Response>& responses, std::string_view boundary);

// A fresh random boundary ("batch_" + random text).
std::string new_batch_boundary();

// The responses of a batch answer, for clients and tests. Same rules and errors as parse_batch.
std::vector<http::Response> parse_batch_responses(std::string_view content_type,
                                                  std::string_view body);

// Registers `POST {app}/batch`. Each part is dispatched through `routers` (which must outlive
// the engine) as if it had been sent on its own by the same client.
void register_batch_route(Engine& engine, http::SiteRouters& routers);

}  // namespace parley::api
