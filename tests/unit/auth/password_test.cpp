// argon2id password hashing. The cost is libsodium's minimum so the suite stays fast; the
// production default is exercised once to show the configured cost is honoured.

#include <gtest/gtest.h>

#include "auth/password.hpp"
#include "common/error.hpp"

namespace parley::auth {
namespace {

const PasswordConfig kCheap{.opslimit = 1, .memlimit = 8192};
const PasswordConfig kOtherCheap{.opslimit = 2, .memlimit = 8192};

TEST(Password, HashIsArgon2idAndVerifies) {
  const std::string hash = hash_password("correct horse battery staple", kCheap);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("m=8,t=1,"), std::string::npos) << hash;  // the configured cost, in KiB
  EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
}

TEST(Password, WrongPasswordIsRejected) {
  const std::string hash = hash_password("secret-one", kCheap);
  EXPECT_FALSE(verify_password(hash, "secret-two"));
  EXPECT_FALSE(verify_password(hash, "Secret-one"));
  EXPECT_FALSE(verify_password(hash, "secret-one "));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Password, SameSecretHashesDifferently) {
  const std::string a = hash_password("same", kCheap);
  const std::string b = hash_password("same", kCheap);
  EXPECT_NE(a, b);  // a fresh salt each time
  EXPECT_TRUE(verify_password(a, "same"));
  EXPECT_TRUE(verify_password(b, "same"));
}

TEST(Password, EmptyAndGarbageHashesNeverVerify) {
  EXPECT_FALSE(verify_password("", "anything"));
  EXPECT_FALSE(verify_password("", ""));
  EXPECT_FALSE(verify_password("not a hash", "not a hash"));
  EXPECT_FALSE(verify_password("$argon2id$", "x"));
  EXPECT_FALSE(verify_password("$argon2id$v=19$m=8,t=1,p=1$", "x"));
  EXPECT_FALSE(verify_password(std::string(10000, '$'), "x"));
  EXPECT_FALSE(verify_password(std::string("$argon2id$\0v=19", 15), "x"));

  const std::string hash = hash_password("pw", kCheap);
  EXPECT_FALSE(verify_password(hash.substr(0, hash.size() - 5), "pw"));  // truncated
  std::string flipped = hash;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password(flipped, "pw"));
  // Hashes with another algorithm are not accepted either.
  std::string argon2i = hash;
  argon2i.replace(0, 10, "$argon2i$");
  EXPECT_FALSE(verify_password(argon2i, "pw"));
}

// A planted hash asking for 4 TiB of memory must be refused before libsodium tries it.
TEST(Password, HashDemandingAbsurdCostIsRejectedQuickly) {
  const std::string hash = hash_password("pw", kCheap);
  std::string costly = hash;
  costly.replace(costly.find("m=8,t=1"), 7, "m=4294967296,t=1");
  EXPECT_FALSE(verify_password(costly, "pw"));
  std::string slow = hash;
  slow.replace(slow.find("m=8,t=1"), 7, "m=8,t=100000");
  EXPECT_FALSE(verify_password(slow, "pw"));
  EXPECT_TRUE(password_needs_rehash(slow, kCheap));
}

TEST(Password, PasswordsAreBinarySafeAndLimited) {
  const std::string with_nul("a\0b", 3);
  const std::string hash = hash_password(with_nul, kCheap);
  EXPECT_TRUE(verify_password(hash, with_nul));
  EXPECT_FALSE(verify_password(hash, "a"));

  const std::string longest(kMaxPasswordBytes, 'p');
  EXPECT_TRUE(verify_password(hash_password(longest, kCheap), longest));
  EXPECT_THROW(hash_password(longest + "p", kCheap), ParameterValidationFailure);
  EXPECT_FALSE(verify_password(hash, longest + "p"));

  const std::string unicode = "p\xC3\xA4ssw\xC3\xB6rd";
  EXPECT_TRUE(verify_password(hash_password(unicode, kCheap), unicode));
}

TEST(Password, CostOutsideArgon2idLimitsIsRefused) {
  EXPECT_THROW(hash_password("pw", PasswordConfig{.opslimit = 0, .memlimit = 8192}),
               std::invalid_argument);
  EXPECT_THROW(hash_password("pw", PasswordConfig{.opslimit = 1, .memlimit = 1024}),
               std::invalid_argument);
  EXPECT_THROW(hash_password("pw", PasswordConfig{.opslimit = 1000, .memlimit = 8192}),
               std::invalid_argument);
}

TEST(Password, NeedsRehashWhenTheCostChanges) {
  const std::string hash = hash_password("pw", kCheap);
  EXPECT_FALSE(password_needs_rehash(hash, kCheap));
  EXPECT_TRUE(password_needs_rehash(hash, kOtherCheap));
  EXPECT_TRUE(password_needs_rehash(hash, PasswordConfig{.opslimit = 1, .memlimit = 16384}));
  EXPECT_TRUE(password_needs_rehash("", kCheap));
  EXPECT_TRUE(password_needs_rehash("garbage", kCheap));
}

TEST(Password, DefaultCostIsHonoured) {
  const PasswordConfig defaults;
  const std::string hash = hash_password("pw", defaults);
  EXPECT_NE(hash.find("m=65536,t=2,"), std::string::npos) << hash;
  EXPECT_TRUE(verify_password(hash, "pw"));
  EXPECT_FALSE(password_needs_rehash(hash, defaults));
}

}  // namespace
}  // namespace parley::auth
