// Push cryptography (src/push/crypto.hpp): RFC 8291 Appendix A byte for byte, JWTs verified with
// OpenSSL directly, VAPID header shape and the key loader's refusals. Every key except the RFC's
// published test keys is generated at run time.
#include "push/crypto.hpp"

#include "common/crypto.hpp"

#include <boost/json/parse.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace parley::push {
namespace {

// RFC 8291 Appendix A.
constexpr const char* kPlaintext = "When I grow up, I want to be a watermelon";
constexpr const char* kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr const char* kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr const char* kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
constexpr const char* kAsPublic =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr const char* kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
constexpr const char* kAuth = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr const char* kEcdhSecret = "kyrL1jIIOHEzg3sM2ZWRHDRB62YACZhhSlknJ672kSs";
constexpr const char* kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml"
    "mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT"
    "pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

std::string b64d(std::string_view text) {
  auto out = base64url_decode(text);
  if (!out) throw std::logic_error("bad base64url in the test: " + std::string(text));
  return *out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// PEM of a key generated here, either PKCS#8 or the "traditional" per-type structure (SEC1 for
// EC, PKCS#1 for RSA).
std::string pem_of(EVP_PKEY* key, bool traditional = false) {
  OSSL_ENCODER_CTX* ctx =
      OSSL_ENCODER_CTX_new_for_pkey(key, OSSL_KEYMGMT_SELECT_ALL, "PEM",
                                    traditional ? "type-specific" : "PrivateKeyInfo", nullptr);
  unsigned char* data = nullptr;
  std::size_t len = 0;
  const bool ok = ctx != nullptr && OSSL_ENCODER_to_data(ctx, &data, &len) == 1;
  OSSL_ENCODER_CTX_free(ctx);
  if (!ok) throw std::runtime_error("could not encode the test key");
  std::string pem(reinterpret_cast<char*>(data), len);
  OPENSSL_free(data);
  return pem;
}

Pkey public_key_from_point(std::string_view point) {
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1, 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  EVP_PKEY_fromdata_init(ctx);
  EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return Pkey(key);
}

// Verifies a compact JWS with OpenSSL itself; ES256 signatures are turned back into DER first.
bool verify_jwt(const std::string& jwt, EVP_PKEY* key) {
  const auto last_dot = jwt.rfind('.');
  if (last_dot == std::string::npos) return false;
  const std::string signing_input = jwt.substr(0, last_dot);
  const auto sig = base64url_decode(jwt.substr(last_dot + 1));
  if (!sig) return false;
  std::string der = *sig;
  if (EVP_PKEY_is_a(key, "EC")) {
    if (sig->size() != 64) return false;
    const auto* raw = reinterpret_cast<const unsigned char*>(sig->data());
    ECDSA_SIG* es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
    unsigned char* out = nullptr;
    const int len = i2d_ECDSA_SIG(es, &out);
    der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    ECDSA_SIG_free(es);
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

struct Jwt {
  boost::json::object header;
  boost::json::object claims;
};

Jwt decode_jwt(const std::string& jwt) {
  const auto first = jwt.find('.');
  const auto last = jwt.rfind('.');
  EXPECT_NE(first, last);
  Jwt out;
  out.header = boost::json::parse(b64d(jwt.substr(0, first))).as_object();
  out.claims = boost::json::parse(b64d(jwt.substr(first + 1, last - first - 1))).as_object();
  return out;
}

std::string tamper_payload(const std::string& jwt) {
  const auto first = jwt.find('.');
  const auto last = jwt.rfind('.');
  std::string claims = b64d(jwt.substr(first + 1, last - first - 1));
  claims.replace(claims.find("alice"), 5, "mallo");
  return jwt.substr(0, first + 1) + base64url(claims) + jwt.substr(last);
}

// ---- base64url --------------------------------------------------------------------------------

TEST(Base64Url, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(base64url_decode("Zm9vYg"), "foob");
  EXPECT_EQ(base64url_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64url_decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64url_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64url_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64url_decode(""), "");
  EXPECT_EQ(base64url_decode("-_-_"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64Url, RejectsWhatIsNotBase64Url) {
  EXPECT_FALSE(base64url_decode("+/+/"));     // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9v Yg"));  // whitespace
  EXPECT_FALSE(base64url_decode("Zm=9vYg"));  // padding in the middle
  EXPECT_FALSE(base64url_decode("Zm9vY"));    // a dangling 6 bits
  EXPECT_FALSE(base64url_decode("Zm9vYg="));  // padding that does not complete the quantum
  EXPECT_FALSE(base64url_decode("Zg==="));    // too much padding
  EXPECT_FALSE(base64url_decode(std::string_view("Zm9v\0g", 6)));
  EXPECT_FALSE(base64url_decode("Zm9vYh"));   // stray bits after the last byte: a second spelling
}

// The shared decoder behind it (history cursors use it without padding: one spelling each).
TEST(Base64Url, TheSharedDecoderRefusesPaddingUnlessAllowed) {
  EXPECT_EQ(parley::base64url_decode("Zm9vYg"), "foob");
  EXPECT_FALSE(parley::base64url_decode("Zm9vYg=="));
  EXPECT_EQ(parley::base64url_decode("Zm9vYg==", true), "foob");
  EXPECT_EQ(parley::base64url_decode(parley::base64url_encode(std::string(300, '\xff'))),
            std::string(300, '\xff'));
}

TEST(Base64Url, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string text = base64url(all);
  EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(base64url_decode(text), all);
}

// ---- RFC 8291 Appendix A ----------------------------------------------------------------------

TEST(WebPush, ScalarKeysHaveTheRfcPublicPoints) {
  EXPECT_EQ(base64url(SigningKey::from_p256_scalar(b64d(kUaPrivate)).public_point()), kUaPublic);
  EXPECT_EQ(base64url(SigningKey::from_p256_scalar(b64d(kAsPrivate)).public_point()), kAsPublic);
}

TEST(WebPush, EcdhMatchesTheRfcSharedSecretFromBothSides) {
  const auto ua = SigningKey::from_p256_scalar(b64d(kUaPrivate));
  const auto as = SigningKey::from_p256_scalar(b64d(kAsPrivate));
  EXPECT_EQ(base64url(as.derive(b64d(kUaPublic))), kEcdhSecret);
  EXPECT_EQ(base64url(ua.derive(b64d(kAsPublic))), kEcdhSecret);
}

TEST(WebPush, EncryptsTheRfc8291ExampleByteForByte) {
  const auto as = SigningKey::from_p256_scalar(b64d(kAsPrivate));
  const Subscription to{b64d(kUaPublic), b64d(kAuth)};
  const std::string body = webpush_encrypt(kPlaintext, to, &as, b64d(kSalt), 4096);
  EXPECT_EQ(base64url(body), kBody);
}

TEST(WebPush, DecryptsTheRfc8291Example) {
  const auto ua = SigningKey::from_p256_scalar(b64d(kUaPrivate));
  EXPECT_EQ(webpush_decrypt(b64d(kBody), ua, b64d(kAuth)), kPlaintext);
}

TEST(WebPush, RefusesTheWrongAuthSecretOrAnyAlteredByte) {
  const auto ua = SigningKey::from_p256_scalar(b64d(kUaPrivate));
  const std::string body = b64d(kBody);
  std::string wrong_auth = b64d(kAuth);
  wrong_auth[0] ^= 0x01;
  EXPECT_FALSE(webpush_decrypt(body, ua, wrong_auth));
  EXPECT_FALSE(webpush_decrypt(body, SigningKey::generate_p256(), b64d(kAuth)));

  // The salt, the sender's key, the ciphertext and the tag are all bound to the result; the
  // record size is not (RFC 8188), so its bytes are skipped here.
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (i >= 16 && i < 21) continue;
    std::string altered = body;
    altered[i] ^= 0x04;
    EXPECT_FALSE(webpush_decrypt(altered, ua, b64d(kAuth))) << "byte " << i;
  }
  EXPECT_FALSE(webpush_decrypt(body.substr(0, body.size() - 1), ua, b64d(kAuth)));
  EXPECT_FALSE(webpush_decrypt(body.substr(0, 86), ua, b64d(kAuth)));
  EXPECT_FALSE(webpush_decrypt("", ua, b64d(kAuth)));
}

TEST(WebPush, RoundTripsWithFreshKeysAndSalt) {
  const auto ua = SigningKey::generate_p256();
  const Subscription to{ua.public_point(), std::string(16, '\x5a')};
  const std::string message = R"({"title":"Alice","body":"Are you free at three?"})";
  const std::string a = webpush_encrypt(message, to);
  const std::string b = webpush_encrypt(message, to);
  EXPECT_NE(a, b);  // a fresh salt and sender key each time
  EXPECT_EQ(a.size(), 16 + 4 + 1 + 65 + message.size() + 1 + 16);
  EXPECT_EQ(webpush_decrypt(a, ua, to.auth), message);
  EXPECT_EQ(webpush_decrypt(b, ua, to.auth), message);
  EXPECT_EQ(webpush_decrypt(webpush_encrypt("", to), ua, to.auth), "");
}

TEST(WebPush, RefusesWhatDoesNotFitOneRecord) {
  const auto ua = SigningKey::generate_p256();
  const Subscription to{ua.public_point(), std::string(16, '\x01')};
  const std::string fits(4096 - 17, 'x');
  EXPECT_EQ(webpush_decrypt(webpush_encrypt(fits, to), ua, to.auth), fits);
  EXPECT_THROW(webpush_encrypt(fits + "x", to), std::invalid_argument);
  EXPECT_THROW(webpush_encrypt("hi", to, nullptr, {}, 17), std::invalid_argument);
}

TEST(WebPush, RefusesAMalformedSubscription) {
  const auto ua = SigningKey::generate_p256();
  const std::string auth(16, '\x01');
  EXPECT_THROW(webpush_encrypt("hi", {ua.public_point().substr(1), auth}), std::invalid_argument);
  EXPECT_THROW(webpush_encrypt("hi", {ua.public_point(), auth.substr(1)}), std::invalid_argument);
  std::string off_curve = ua.public_point();
  off_curve[64] ^= 0x01;
  EXPECT_THROW(webpush_encrypt("hi", {off_curve, auth}), std::invalid_argument);
  EXPECT_THROW(webpush_encrypt("hi", {ua.public_point(), auth}, nullptr, "short salt"),
               std::invalid_argument);
}

// ---- keys -------------------------------------------------------------------------------------

TEST(SigningKey, EcdhAgreesBetweenTwoGeneratedKeysAndRefusesPointsOffTheCurve) {
  const auto a = SigningKey::generate_p256();
  const auto b = SigningKey::generate_p256();
  const std::string shared = a.derive(b.public_point());
  EXPECT_EQ(shared.size(), 32u);
  EXPECT_EQ(shared, b.derive(a.public_point()));
  std::string off_curve = b.public_point();
  off_curve[40] ^= 0x10;
  EXPECT_THROW(a.derive(off_curve), std::runtime_error);
  EXPECT_THROW(a.derive(std::string(65, '\0')), std::runtime_error);
}

TEST(SigningKey, LoadsSec1AndPkcs8EcKeysAndWritesPkcs8) {
  const Pkey generated(EVP_EC_gen("P-256"));
  ASSERT_TRUE(generated);
  const auto sec1 = SigningKey::from_pem(pem_of(generated.get(), true));
  const auto pkcs8 = SigningKey::from_pem(pem_of(generated.get()));
  EXPECT_NE(pem_of(generated.get(), true).find("BEGIN EC PRIVATE KEY"), std::string::npos);
  EXPECT_TRUE(sec1.is_p256());
  EXPECT_FALSE(sec1.is_rsa());
  EXPECT_EQ(sec1.public_point(), pkcs8.public_point());
  EXPECT_EQ(sec1.public_point().size(), 65u);
  EXPECT_EQ(sec1.public_point()[0], '\x04');

  const std::string written = sec1.private_pem();
  EXPECT_NE(written.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_EQ(SigningKey::from_pem(written).public_point(), sec1.public_point());
}

TEST(SigningKey, ScalarKeysExportAndReload) {
  const auto ua = SigningKey::from_p256_scalar(b64d(kUaPrivate));
  EXPECT_EQ(base64url(SigningKey::from_pem(ua.private_pem()).public_point()), kUaPublic);
  EXPECT_THROW(SigningKey::from_p256_scalar(std::string(31, '\x01')), std::runtime_error);
  EXPECT_THROW(SigningKey::from_p256_scalar(std::string(32, '\0')), std::runtime_error);
  EXPECT_THROW(SigningKey::from_p256_scalar(std::string(32, '\xff')), std::runtime_error);
}

TEST(SigningKey, RefusesGarbageWithAClearMessage) {
  try {
    SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    FAIL() << "garbage was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("BEGIN PRIVATE KEY"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SigningKey::from_pem(""), std::runtime_error);
  EXPECT_THROW(SigningKey::from_pem("hello"), std::runtime_error);
}

TEST(SigningKey, RefusesAPublicKeyOnly) {
  const Pkey generated(EVP_EC_gen("P-256"));
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, generated.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  const std::string pem(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  EXPECT_THROW(SigningKey::from_pem(pem), std::runtime_error);
}

TEST(SigningKey, RefusesP384) {
  const Pkey p384(EVP_EC_gen("P-384"));
  ASSERT_TRUE(p384);
  for (const bool traditional : {false, true}) {
    try {
      SigningKey::from_pem(pem_of(p384.get(), traditional));
      FAIL() << "a P-384 key was accepted";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("P-256"), std::string::npos) << what;
      EXPECT_NE(what.find("secp384r1"), std::string::npos) << what;
    }
  }
}

TEST(SigningKey, RefusesRsaBelow2048Bits) {
  const Pkey rsa1024(EVP_RSA_gen(1024));
  ASSERT_TRUE(rsa1024);
  for (const bool traditional : {false, true}) {
    try {
      SigningKey::from_pem(pem_of(rsa1024.get(), traditional));
      FAIL() << "a 1024-bit RSA key was accepted";
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("1024"), std::string::npos) << what;
      EXPECT_NE(what.find("2048"), std::string::npos) << what;
    }
  }
}

// ---- JWT --------------------------------------------------------------------------------------

TEST(Jwt, Es256VerifiesWithThePublicKeyAndDecodes) {
  const Pkey generated(EVP_EC_gen("P-256"));
  const auto key = SigningKey::from_pem(pem_of(generated.get()));
  boost::json::object claims{{"iss", "TEAM123456"}, {"iat", 1700000000}, {"sub", "alice"}};
  const std::string jwt = make_jwt(key, claims, "KEY1234567");

  EXPECT_TRUE(verify_jwt(jwt, generated.get()));
  const Jwt parsed = decode_jwt(jwt);
  EXPECT_EQ(parsed.header,
            (boost::json::object{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", "KEY1234567"}}));
  EXPECT_EQ(parsed.claims, claims);
  EXPECT_EQ(b64d(jwt.substr(jwt.rfind('.') + 1)).size(), 64u);

  EXPECT_FALSE(verify_jwt(tamper_payload(jwt), generated.get()));
  EXPECT_FALSE(verify_jwt(jwt, Pkey(EVP_EC_gen("P-256")).get()));
}

TEST(Jwt, Es256SignaturesAreAlways64Bytes) {
  // R or S below 2^248 happens about once in 128 signatures; each must still be zero-padded.
  const auto key = SigningKey::generate_p256();
  const Pkey pub = public_key_from_point(key.public_point());
  for (int i = 0; i < 300; ++i) {
    const std::string jwt = make_jwt(key, {{"sub", "alice"}, {"n", i}});
    ASSERT_TRUE(verify_jwt(jwt, pub.get())) << i;
  }
}

TEST(Jwt, Rs256VerifiesWithThePublicKey) {
  const Pkey generated(EVP_RSA_gen(2048));
  ASSERT_TRUE(generated);
  const auto key = SigningKey::from_pem(pem_of(generated.get(), true));  // PKCS#1
  EXPECT_TRUE(key.is_rsa());
  EXPECT_FALSE(key.is_p256());
  EXPECT_THROW(key.public_point(), std::runtime_error);
  boost::json::object claims{{"iss", "svc@project.iam.gserviceaccount.com"}, {"sub", "alice"}};
  const std::string jwt = make_jwt(key, claims);

  EXPECT_TRUE(verify_jwt(jwt, generated.get()));
  const Jwt parsed = decode_jwt(jwt);
  EXPECT_EQ(parsed.header, (boost::json::object{{"alg", "RS256"}, {"typ", "JWT"}}));
  EXPECT_EQ(parsed.claims, claims);
  EXPECT_EQ(b64d(jwt.substr(jwt.rfind('.') + 1)).size(), 256u);
  EXPECT_FALSE(verify_jwt(tamper_payload(jwt), generated.get()));
  EXPECT_NE(SigningKey::from_pem(key.private_pem()).private_pem().find("BEGIN PRIVATE KEY"),
            std::string::npos);
}

// ---- VAPID ------------------------------------------------------------------------------------

struct Vapid {
  std::string jwt;
  std::string k;
};

Vapid split_vapid(const std::string& header) {
  const std::string prefix = "vapid t=";
  const std::string middle = ", k=";
  EXPECT_EQ(header.rfind(prefix, 0), 0u) << header;
  const auto at = header.find(middle);
  EXPECT_NE(at, std::string::npos) << header;
  return {header.substr(prefix.size(), at - prefix.size()), header.substr(at + middle.size())};
}

TEST(Vapid, HeaderCarriesAVerifiableJwtForTheEndpointsOrigin) {
  const auto key = SigningKey::generate_p256();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const std::string header =
      vapid_authorization(key, "https://Updates.Push.Example:8443/wpush/v2/gAAAAABk?x=1",
                          "mailto:ops@example.org", now);
  const Vapid v = split_vapid(header);

  const std::string point = b64d(v.k);
  ASSERT_EQ(point.size(), 65u);
  EXPECT_EQ(point, key.public_point());
  EXPECT_EQ(v.k.find('='), std::string::npos);
  const Pkey pub = public_key_from_point(point);
  ASSERT_TRUE(pub);
  EXPECT_TRUE(verify_jwt(v.jwt, pub.get()));

  const Jwt parsed = decode_jwt(v.jwt);
  EXPECT_EQ(parsed.header.at("alg").as_string(), "ES256");
  EXPECT_EQ(parsed.claims.at("aud").as_string(), "https://updates.push.example:8443");
  EXPECT_EQ(parsed.claims.at("sub").as_string(), "mailto:ops@example.org");
  EXPECT_EQ(parsed.claims.at("exp").to_number<std::int64_t>(), 1700000000 + 12 * 3600);
}

TEST(Vapid, AudienceDropsTheDefaultPortAndPath) {
  const auto key = SigningKey::generate_p256();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const auto aud = [&](std::string_view endpoint) {
    return decode_jwt(split_vapid(vapid_authorization(key, endpoint, "mailto:a@b.c", now)).jwt)
        .claims.at("aud")
        .as_string();
  };
  EXPECT_EQ(aud("https://fcm.googleapis.com/fcm/send/abc:def"), "https://fcm.googleapis.com");
  EXPECT_EQ(aud("https://push.example:443/x"), "https://push.example");
  EXPECT_EQ(aud("http://127.0.0.1:8080/push/1"), "http://127.0.0.1:8080");
  EXPECT_EQ(aud("https://[::1]:9443/push"), "https://[::1]:9443");
  EXPECT_THROW(vapid_authorization(key, "ftp://push.example/x", "mailto:a@b.c", now),
               std::runtime_error);
  EXPECT_THROW(vapid_authorization(key, "push.example/x", "mailto:a@b.c", now), std::runtime_error);
}

TEST(Vapid, ExpiryIsCappedAt24Hours) {
  const auto key = SigningKey::generate_p256();
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  const auto exp = [&](std::chrono::seconds lifetime) {
    const std::string h =
        vapid_authorization(key, "https://push.example/x", "mailto:a@b.c", now, lifetime);
    return decode_jwt(split_vapid(h).jwt).claims.at("exp").to_number<std::int64_t>();
  };
  EXPECT_EQ(exp(std::chrono::hours(1)), 1700000000 + 3600);
  EXPECT_EQ(exp(std::chrono::hours(24)), 1700000000 + 86400);
  EXPECT_EQ(exp(std::chrono::hours(48)), 1700000000 + 86400);
}

TEST(Vapid, NeedsAP256Key) {
  const Pkey rsa(EVP_RSA_gen(2048));
  const auto key = SigningKey::from_pem(pem_of(rsa.get()));
  EXPECT_THROW(vapid_authorization(key, "https://push.example/x", "mailto:a@b.c",
                                   std::chrono::system_clock::now()),
               std::runtime_error);
}

}  // namespace
}  // namespace parley::push
