// Fuzz target: a JSON request body read as an admin user (src/admin/json_body, user_json).
#include "admin/json_body.hpp"
#include "admin/user_json.hpp"
#include "common/error.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  parley::http::Request req;
  req.headers.set("Content-Type", "application/json");
  req.body.assign(reinterpret_cast<const char*>(data), size);
  try {
    auto o = parley::admin::parse_json_object(req);
    auto in = parley::admin::parse_user_input(o);
    if (in.sip_uri && parley::admin::normalize_sip_uri(*in.sip_uri) != *in.sip_uri) __builtin_trap();
  } catch (const parley::ApiError&) {
  }
  return 0;
}
