// Fuzz target: the Web Push codec (src/push/crypto.hpp). Arbitrary bytes are read as base64url
// text and as an aes128gcm body for RFC 8291 Appendix A's receiver, both raw and after base64url
// decoding (so that mutated text seeds reach the body parser too). Nothing may crash; a decode
// re-encodes to the same bytes; a body that decrypts is longer than what it yields; and the
// input, encrypted as a message, decrypts back to itself.
#include "push/crypto.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace parley::push;

std::string must_decode(std::string_view text) {
  auto out = base64url_decode(text);
  if (!out) std::abort();
  return *out;
}

// RFC 8291 Appendix A's published test keys.
struct Fixture {
  SigningKey receiver =
      SigningKey::from_p256_scalar(must_decode("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"));
  SigningKey sender =
      SigningKey::from_p256_scalar(must_decode("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"));
  std::string auth = must_decode("BTBZMqHH6r4Tts7J_aSIgg");
  std::string salt = must_decode("DGv6ra1nlYgDCS1FRnbzlw");
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

bool base64url_alphabet(std::string_view s) {
  for (const char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '=';
    if (!ok) return false;
  }
  return true;
}

void decrypt(std::string_view body) {
  const Fixture& f = fixture();
  if (const auto plain = webpush_decrypt(body, f.receiver, f.auth)) {
    // header (86) + delimiter (1) + tag (16) surround every plaintext
    if (plain->size() + 86 + 1 + 16 > body.size()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto decoded = base64url_decode(input);
  if (decoded) {
    if (!base64url_alphabet(input) || decoded->size() > size * 3 / 4) std::abort();
    if (base64url_decode(base64url(*decoded)) != decoded) std::abort();
    decrypt(*decoded);
  }
  decrypt(input);

  // Encryption is deterministic with a fixed sender key and salt; the round trip must hold.
  // Only for a slice of inputs, as each costs two ECDH computations.
  if (size > 0 && data[0] % 8 == 0 && size <= 4096 - 17) {
    const Fixture& f = fixture();
    const Subscription to{f.receiver.public_point(), f.auth};
    const std::string body = webpush_encrypt(input, to, &f.sender, f.salt);
    if (webpush_decrypt(body, f.receiver, f.auth) != input) std::abort();
  }
  return 0;
}
