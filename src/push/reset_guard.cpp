// Keeps libcurl 7.88 from resetting HTTP/2 streams that are already closed.
//
// libcurl 7.88.1 (Debian 12's) forgets that a stream was closed once it has read the stream's end
// (http2_handle_stream_close sets stream->closed back to FALSE), so when the transfer is done it
// sends RST_STREAM(STREAM_CLOSED) for every response whose end it learned from END_STREAM rather
// than from Content-Length — which includes every APNs "200, no body" answer. The RST frames are
// harmless to the protocol but not to the connection: servers built on nghttp2 1.57 or later
// (the rapid-reset defence: a burst of 1000, then 33 per second) answer a sender doing thousands
// of pushes a second with GOAWAY(INTERNAL_ERROR), so the "one long-lived connection" becomes one
// per thousand pushes, and curl's retry of the streams the GOAWAY cut off can lose their bodies.
//
// The fix lives where the frame is made. This executable defines nghttp2_submit_rst_stream, which
// the dynamic linker binds libcurl's call to ahead of libnghttp2's (an executable's definitions
// come first in symbol lookup). A reset for a stream nghttp2 itself knows to be closed is dropped
// — RFC 9113 §5.1 has no use for it — and every other reset goes to the real function. Newer
// libcurl never asks for such resets, so there the guard is simply never called for them.

#include "push/reset_guard.hpp"

#include <dlfcn.h>

#include <cstdint>

extern "C" {

struct nghttp2_session;
struct nghttp2_stream;

namespace {

using SubmitRstStream = int (*)(nghttp2_session*, std::uint8_t, std::int32_t, std::uint32_t);
using FindStream = nghttp2_stream* (*)(nghttp2_session*, std::int32_t);
using StreamState = int (*)(nghttp2_stream*);

constexpr std::uint32_t kStreamClosedError = 0x5;  // NGHTTP2_STREAM_CLOSED
constexpr int kStateClosed = 7;                     // NGHTTP2_STREAM_STATE_CLOSED

struct Nghttp2 {
  SubmitRstStream submit_rst_stream = nullptr;
  FindStream find_stream = nullptr;
  StreamState stream_state = nullptr;
};

// The real functions, from the library after this executable in lookup order. Resolved on first
// use: libnghttp2 is loaded as libcurl's dependency, so it is present before curl can call us.
const Nghttp2& real() {
  static const Nghttp2 functions = [] {
    Nghttp2 f;
    f.submit_rst_stream = reinterpret_cast<SubmitRstStream>(dlsym(RTLD_NEXT, "nghttp2_submit_rst_stream"));
    f.find_stream = reinterpret_cast<FindStream>(dlsym(RTLD_NEXT, "nghttp2_session_find_stream"));
    f.stream_state = reinterpret_cast<StreamState>(dlsym(RTLD_NEXT, "nghttp2_stream_get_state"));
    return f;
  }();
  return functions;
}

}  // namespace

// Same signature as libnghttp2's; returns 0 (success) for a dropped reset as nghttp2 would for a
// queued one. Only libcurl calls it.
__attribute__((visibility("default"))) int nghttp2_submit_rst_stream(nghttp2_session* session,
                                                                     std::uint8_t flags,
                                                                     std::int32_t stream_id,
                                                                     std::uint32_t error_code) {
  const Nghttp2& f = real();
  if (!f.submit_rst_stream) return -501;  // NGHTTP2_ERR_INVALID_ARGUMENT: no library to send with
  if (error_code == kStreamClosedError && stream_id > 0 && f.find_stream && f.stream_state) {
    nghttp2_stream* stream = f.find_stream(session, stream_id);
    // Gone from the session, or kept only as a closed entry: the peer has both ends already.
    if (stream == nullptr || f.stream_state(stream) == kStateClosed) return 0;
  }
  return f.submit_rst_stream(session, flags, stream_id, error_code);
}

}  // extern "C"

namespace parley::push {

bool finished_stream_reset_guard_active() {
  // Active when the name resolves to this definition for everyone (libcurl included), and the
  // library it forwards to is there.
  const void* bound = dlsym(RTLD_DEFAULT, "nghttp2_submit_rst_stream");
  return bound == reinterpret_cast<const void*>(&nghttp2_submit_rst_stream) && real().submit_rst_stream != nullptr;
}

}  // namespace parley::push
