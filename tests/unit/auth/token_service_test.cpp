// Bearer tokens: issue, validate (through the cache), expiry, revocation, disabled users.
#include "auth/token_service.hpp"

#include "common/crypto.hpp"
#include "fake_store.hpp"
#include "support/run_awaitable.hpp"

#include <gtest/gtest.h>

#include <set>

namespace parley::auth {
namespace {

using testing::FakeStore;
using parley::testing::run_awaitable;

constexpr std::int64_t kStart = 1'700'000'000'000;

class TokenServiceTest : public ::testing::Test {
protected:
  TokenServiceTest() {
    init_crypto();
    config.token_lifetime_seconds = 3600;
    store.create_user("alice@example.org", {}, true, "");
    store.create_user("bob@example.org", {}, true, "");
    request.remote_address = "192.0.2.7";
    request.site = http::Site::external;
    request.headers.add("User-Agent", "UnitTest/1.0");
  }

  TokenService make() { return TokenService(store, pool, config, [this] { return now; }); }
  IssuedToken issue(TokenService& s, std::string sip = "alice@example.org") {
    return run_awaitable(s.issue(sip, request, "password"));
  }
  std::optional<Identity> validate(TokenService& s, const std::string& token) {
    return run_awaitable(s.validate(token));
  }

  FakeStore store;
  runtime::BlockingPool pool{2};
  WebTicketConfig config;
  http::Request request;
  std::int64_t now = kStart;
};

TEST_F(TokenServiceTest, IssuedTokenIsCwtPlus256RandomBits) {
  auto s = make();
  const auto t = issue(s);
  ASSERT_EQ(t.access_token.size(), 4u + 43u) << t.access_token;
  EXPECT_EQ(t.access_token.rfind("cwt=", 0), 0u);
  for (char c : t.access_token.substr(4))
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << t.access_token;
  EXPECT_EQ(t.expires_in_seconds, 3600);
  EXPECT_NE(issue(s).access_token, t.access_token);
}

TEST_F(TokenServiceTest, OnlyTheHashIsStoredWithWhoWhenAndWhere) {
  auto s = make();
  request.headers.set("User-Agent", std::string(2000, 'u') + "\x01");
  const auto t = run_awaitable(s.issue("Alice@Example.org", request, "password"));
  const auto tokens = store.list_tokens("alice@example.org");
  ASSERT_EQ(tokens.size(), 1u);
  const auto& r = tokens[0];
  EXPECT_EQ(r.token_sha256, sha256_hex(t.access_token));
  EXPECT_EQ(r.sip_uri, "alice@example.org");
  EXPECT_EQ(r.issued_at_ms, kStart);
  EXPECT_EQ(r.expires_at_ms, kStart + 3600 * 1000);
  EXPECT_EQ(r.client_address, "192.0.2.7");
  EXPECT_EQ(r.user_agent, std::string(512, 'u'));
  EXPECT_EQ(r.site, "external");
  EXPECT_EQ(r.grant_type, "password");
}

TEST_F(TokenServiceTest, ValidTokenNamesItsOwnerAndIsServedFromTheCache) {
  auto s = make();
  const auto t = issue(s);
  const int calls = store.find_token_calls;
  for (int i = 0; i < 5; ++i) {
    const auto id = validate(s, t.access_token);
    ASSERT_TRUE(id);
    EXPECT_EQ(id->sip_uri, "alice@example.org");
    EXPECT_EQ(id->expires_at_ms, kStart + 3600 * 1000);
  }
  EXPECT_EQ(store.find_token_calls, calls);
}

TEST_F(TokenServiceTest, TokenIssuedElsewhereIsFoundInTheStoreThenCached) {
  auto issuer = make();
  auto validator = make();  // another front end sharing the store
  const auto t = issue(issuer);
  ASSERT_TRUE(validate(validator, t.access_token));
  ASSERT_TRUE(validate(validator, t.access_token));
  EXPECT_EQ(store.find_token_calls, 1);
}

TEST_F(TokenServiceTest, UnknownAndMalformedTokensAreRejected) {
  auto s = make();
  issue(s);
  EXPECT_FALSE(validate(s, "cwt=" + random_token(32)));
  EXPECT_EQ(store.find_token_calls, 1);
  for (std::string bad : {std::string(), std::string("cwt="), std::string("Bearer cwt=abc"),
                          "xyz=" + random_token(32), "cwt=" + std::string(300, 'a'), std::string("cwt=abc def"),
                          std::string("cwt=abc\x00", 8)})
    EXPECT_FALSE(validate(s, bad)) << bad;
  EXPECT_EQ(store.find_token_calls, 1);  // junk never reaches the store
}

TEST_F(TokenServiceTest, ExpiredTokenIsRejectedFromCacheAndStore) {
  auto s = make();
  auto other = make();
  const auto t = issue(s);
  now += 3600 * 1000 - 1;
  EXPECT_TRUE(validate(s, t.access_token));
  now += 1;
  EXPECT_FALSE(validate(s, t.access_token));
  EXPECT_FALSE(validate(s, t.access_token));
  EXPECT_FALSE(validate(other, t.access_token));  // not cached there: the store's expiry counts too
}

TEST_F(TokenServiceTest, RevokingAUserKillsHerTokensAtOnceAndNoOneElses) {
  auto s = make();
  const auto a1 = issue(s);
  const auto a2 = issue(s);
  const auto b = issue(s, "bob@example.org");
  ASSERT_TRUE(validate(s, a1.access_token));
  EXPECT_EQ(run_awaitable(s.revoke_user("Alice@example.org")), 2u);
  EXPECT_FALSE(validate(s, a1.access_token));
  EXPECT_FALSE(validate(s, a2.access_token));
  EXPECT_TRUE(validate(s, b.access_token));
  EXPECT_EQ(store.list_tokens("alice@example.org").size(), 0u);
  EXPECT_EQ(run_awaitable(s.revoke_user("alice@example.org")), 0u);
}

TEST_F(TokenServiceTest, BlockingRevocationWorksTheSame) {
  auto s = make();
  const auto t = issue(s);
  ASSERT_TRUE(validate(s, t.access_token));
  EXPECT_EQ(s.revoke_user_blocking("alice@example.org"), 1u);
  EXPECT_FALSE(validate(s, t.access_token));
  // A new sign-in afterwards works again.
  const auto fresh = issue(s);
  EXPECT_TRUE(validate(s, fresh.access_token));
}

TEST_F(TokenServiceTest, DisabledUsersTokenIsRejected) {
  auto s = make();
  const auto t = issue(s);
  ASSERT_TRUE(validate(s, t.access_token));
  storage::UserPatch off;
  off.enabled = false;
  store.update_user("alice@example.org", off);  // behind the service's back: no revocation
  auto fresh = make();
  EXPECT_FALSE(validate(fresh, t.access_token));
  // The service that had it cached notices within its re-check interval.
  now += 61'000;
  EXPECT_FALSE(validate(s, t.access_token));
}

TEST_F(TokenServiceTest, RemovedUsersTokenIsRejected) {
  auto s = make();
  const auto t = issue(s, "bob@example.org");
  store.remove_user("bob@example.org");
  auto fresh = make();
  EXPECT_FALSE(validate(fresh, t.access_token));
}

TEST_F(TokenServiceTest, AuthenticateReadsTheBearerHeader) {
  auto s = make();
  const auto t = issue(s);
  http::Request req;
  EXPECT_FALSE(run_awaitable(s.authenticate(req)));
  req.headers.set("Authorization", "Bearer " + t.access_token);
  auto id = run_awaitable(s.authenticate(req));
  ASSERT_TRUE(id);
  EXPECT_EQ(id->sip_uri, "alice@example.org");
  req.headers.set("Authorization", "bearer  " + t.access_token + " ");
  EXPECT_TRUE(run_awaitable(s.authenticate(req)));
  req.headers.set("Authorization", "Basic " + t.access_token);
  EXPECT_FALSE(run_awaitable(s.authenticate(req)));
  req.headers.set("Authorization", "Bearer");
  EXPECT_FALSE(run_awaitable(s.authenticate(req)));
  req.headers.set("Authorization", t.access_token);
  EXPECT_FALSE(run_awaitable(s.authenticate(req)));
}

TEST_F(TokenServiceTest, ExpiredTokensArePurgedAtMostOnceAMinute) {
  auto s = make();
  issue(s);
  EXPECT_EQ(store.purges(), 1);
  now += 30'000;
  issue(s);
  EXPECT_EQ(store.purges(), 1);
  now += 3600 * 1000 + 1;  // the first two have expired
  issue(s);
  EXPECT_EQ(store.purges(), 2);
  EXPECT_EQ(store.token_count(), 1u);
}

TEST(ChallengeResponse, CarriesBothChallenges) {
  const auto res = challenge_response("https://web.example.org/WebTicket/oauthtoken", "sign in first");
  EXPECT_EQ(res.status, 401);
  std::vector<std::string> challenges;
  for (const auto& [k, v] : res.headers.fields())
    if (k == "WWW-Authenticate") challenges.push_back(v);
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].rfind("Bearer ", 0), 0u);
  EXPECT_NE(challenges[0].find("client_id=\"00000004-0000-0ff1-ce00-000000000000\""), std::string::npos);
  EXPECT_EQ(challenges[1],
            "MsRtcOAuth href=\"https://web.example.org/WebTicket/oauthtoken\","
            "grant_type=\"urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password\"");
  EXPECT_NE(res.body.find("sign in first"), std::string::npos);
  // The issuer realm is the host alone, without the port of a non-standard listener.
  const auto ported = challenge_response("https://localhost:4443/WebTicket/oauthtoken", "x");
  EXPECT_NE(ported.headers.get("WWW-Authenticate").find("@localhost\""), std::string::npos)
      << ported.headers.get("WWW-Authenticate");
}

// Identifiers are typed on command lines (parley session end <id>): none may read as an option.
TEST(RandomId, NeverStartsWithADashOrAnUnderscore) {
  std::set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {
    const auto id = random_id();
    ASSERT_EQ(id.size(), 15u);
    ASSERT_NE(id.front(), '-') << id;
    ASSERT_NE(id.front(), '_') << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 20000u);
}

}  // namespace
}  // namespace parley::auth
