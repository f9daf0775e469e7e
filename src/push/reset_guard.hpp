#pragma once
// libcurl 7.88 sends RST_STREAM for HTTP/2 streams it has already read to the end; servers with a
// rapid-reset defence then close the connection (see reset_guard.cpp). The guard drops those
// resets. It is part of every executable that uses Http2Client.

namespace parley::push {

// True when libcurl's resets go through the guard (the executable exports it and libnghttp2 is
// loaded). Http2Client calls it once, which also links the guard into the executable.
bool finished_stream_reset_guard_active();

}  // namespace parley::push
