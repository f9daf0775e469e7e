// The Edge over real loopback sockets, driven by a small client built on the codec: Binding,
// authentication (401, wrong password, stale nonce, USERHASH, SHA-256, time-limited
// credentials), Allocate and its errors, permissions, Send/Data, channels, refusals, quotas,
// expiry, IPv6, TCP clients and RFC 6062.

#include "edge_test_client.hpp"

#include "relay/credentials.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace parley::relay::test {
namespace {

using namespace std::chrono_literals;

EdgeOptions base_options() {
  EdgeOptions o;
  o.realm = "example.org";
  o.secrets = {"shared-secret-1"};
  o.config.udp = {{"127.0.0.1", 0}};
  o.config.tcp = {{"127.0.0.1", 0}};
  o.config.tls = {};
  o.config.threads = 2;
  o.config.users = {{"alice", "alice-pw"}, {"bob", "bob-pw"}};
  o.config.allowed_peers = {"127.0.0.0/8", "::1/128"};
  o.config.relay_port_min = 40000;
  o.config.relay_port_max = 45000;
  return o;
}

class EdgeTest : public ::testing::Test {
 protected:
  void start(EdgeOptions o = base_options()) {
    edge_ = std::make_unique<Edge>(std::move(o));
    edge_->start();
  }
  void TearDown() override {
    if (edge_) edge_->stop();
  }
  std::unique_ptr<Client> client(const char* user = "alice", const char* pw = "alice-pw",
                                 Client::Kind kind = Client::Kind::udp) {
    const auto server =
        kind == Client::Kind::udp ? edge_->udp_endpoints().front() : edge_->tcp_endpoints().front();
    auto c = std::make_unique<Client>(server, kind);
    c->username = user;
    c->password = pw;
    return c;
  }
  std::unique_ptr<Edge> edge_;
};

TEST_F(EdgeTest, BindingAnswersMappedAddressWithoutCredentials) {
  start();
  auto c = client();
  const auto r = c->transact(Method::binding, {}, false);
  ASSERT_EQ(r.cls(), Class::success);
  EXPECT_EQ(r.xor_address(attr::xor_mapped_address), c->local());
  EXPECT_EQ(r.text(attr::software), "Parley");
  EXPECT_TRUE(r.view().has_fingerprint());  // the request had one
}

TEST_F(EdgeTest, BindingWithUnknownRequiredAttributeIs420) {
  start();
  auto c = client();
  const auto r = c->transact(Method::binding, [](stun::MessageWriter& w) {
    w.add_u32(0x0031, 7);  // comprehension-required, unassigned
  }, false);
  EXPECT_EQ(r.error(), 420);
  const auto unknown = r.view().find(attr::unknown_attributes);
  ASSERT_TRUE(unknown);
  ASSERT_EQ(unknown->value.size(), 2u);
  EXPECT_EQ(unknown->value[0] << 8 | unknown->value[1], 0x0031);
}

TEST_F(EdgeTest, AllocateChallengesThenSucceedsWithStaticUser) {
  start();
  auto c = client();
  const auto challenge = c->transact(Method::allocate, [](stun::MessageWriter& w) {
    w.add_requested_transport(17);
  }, false);
  EXPECT_EQ(challenge.error(), 401);
  EXPECT_EQ(challenge.text(attr::realm), "example.org");
  EXPECT_FALSE(challenge.text(attr::nonce).empty());
  EXPECT_TRUE(challenge.view().find(attr::password_algorithms));

  const auto r = c->allocate();
  ASSERT_EQ(r.cls(), Class::success) << r.error();
  const auto relayed = r.xor_address(attr::xor_relayed_address);
  ASSERT_TRUE(relayed);
  EXPECT_EQ(relayed->ip, ep("127.0.0.1", 0).ip);
  EXPECT_GE(relayed->port, 40000);
  EXPECT_LE(relayed->port, 45000);
  EXPECT_EQ(r.xor_address(attr::xor_mapped_address), c->local());
  EXPECT_EQ(r.u32(attr::lifetime), 600u);
  // The answer is signed with the same key.
  const auto key = stun::long_term_key_md5("alice", "example.org", "alice-pw");
  EXPECT_TRUE(stun::check_integrity(r.view(), key));
  EXPECT_EQ(edge_->counters().allocations, 1u);
}

TEST_F(EdgeTest, WrongPasswordIs401AndCounted) {
  start();
  auto c = client("alice", "not-her-password");
  EXPECT_EQ(c->allocate().error(), 401);
  auto unknown = client("mallory", "x");
  EXPECT_EQ(unknown->allocate().error(), 401);
  EXPECT_EQ(edge_->counters().allocations, 0u);
  EXPECT_GE(edge_->counters().auth_failures, 2u);
}

TEST_F(EdgeTest, StaleNonceIs438WithFreshNonce) {
  auto o = base_options();
  o.config.nonce_lifetime_seconds = 1;
  start(o);
  auto c = client();
  const auto first = c->transact(Method::allocate, [](stun::MessageWriter& w) {
    w.add_requested_transport(17);
  }, false);
  c->nonce = first.text(attr::nonce);
  std::this_thread::sleep_for(2100ms);
  const auto r = c->transact(Method::allocate, [](stun::MessageWriter& w) {
    w.add_requested_transport(17);
  }, true);
  EXPECT_EQ(r.error(), 438);
  EXPECT_FALSE(r.text(attr::nonce).empty());
  EXPECT_NE(r.text(attr::nonce), c->nonce);
  c->nonce = r.text(attr::nonce);
  EXPECT_EQ(c->allocate().cls(), Class::success);
}

TEST_F(EdgeTest, Sha256IntegrityAndUserhashAreAccepted) {
  start();
  auto c = client();
  c->sha256 = true;
  c->use_userhash = true;
  const auto r = c->allocate();
  ASSERT_EQ(r.cls(), Class::success) << r.error();
  const auto key = stun::long_term_key_sha256("alice", "example.org", "alice-pw");
  EXPECT_TRUE(stun::check_integrity_sha256(r.view(), key));
}

TEST_F(EdgeTest, SecondAllocateOnSameFiveTupleIs437ButRetransmitIsRepeated) {
  start();
  auto c = client();
  ASSERT_EQ(c->allocate().cls(), Class::success);
  // The same request again (a retransmission) gets the same success.
  c->resend_last();
  const auto again = c->receive();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->cls(), Class::success);
  EXPECT_EQ(c->allocate().error(), 437);
  EXPECT_EQ(edge_->counters().allocations, 1u);
}

TEST_F(EdgeTest, UnsupportedTransportIs442OverUdp) {
  start();
  auto c = client();
  EXPECT_EQ(c->allocate({}, 6).error(), 442);
  EXPECT_EQ(c->allocate({}, 99).error(), 442);
}

TEST_F(EdgeTest, OtherUserOnAllocationIs441) {
  start();
  auto c = client();
  ASSERT_EQ(c->allocate().cls(), Class::success);
  c->username = "bob";
  c->password = "bob-pw";
  EXPECT_EQ(c->refresh(600).error(), 441);
  c->username = "alice";
  c->password = "wrong";
  EXPECT_EQ(c->refresh(600).error(), 441);
}

TEST_F(EdgeTest, SendIndicationReachesPeerAndPeerAnswersAsDataIndication) {
  start();
  auto c = client();
  const auto alloc = c->allocate();
  ASSERT_EQ(alloc.cls(), Class::success);
  const auto relayed = *alloc.xor_address(attr::xor_relayed_address);
  UdpPeer peer;

  // No permission yet: silently dropped.
  c->send_indication(peer.address, "too early");
  EXPECT_FALSE(peer.receive(300));

  ASSERT_EQ(c->create_permission(peer.address).cls(), Class::success);
  c->send_indication(peer.address, "hello peer");
  const auto got = peer.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "hello peer");
  EXPECT_EQ(got->second, relayed);

  peer.send_to(relayed, "hello client");
  const auto data = c->receive();
  ASSERT_TRUE(data);
  ASSERT_FALSE(data->is_channel_data());
  EXPECT_EQ(data->view().method(), Method::data);
  EXPECT_EQ(data->view().message_class(), Class::indication);
  EXPECT_EQ(data->xor_address(attr::xor_peer_address), peer.address);
  const auto d = data->view().find(attr::data);
  ASSERT_TRUE(d);
  EXPECT_EQ(std::string(d->value.begin(), d->value.end()), "hello client");
  EXPECT_GE(edge_->counters().packets_relayed, 2u);
  EXPECT_EQ(edge_->counters().permissions, 1u);
}

TEST_F(EdgeTest, PeerWithoutPermissionIsNotRelayed) {
  start();
  auto c = client();
  const auto alloc = c->allocate();
  const auto relayed = *alloc.xor_address(attr::xor_relayed_address);
  UdpPeer peer;
  peer.send_to(relayed, "unsolicited");
  EXPECT_FALSE(c->receive(300));
}

TEST_F(EdgeTest, ChannelDataBothWays) {
  start();
  auto c = client();
  const auto relayed = *c->allocate().xor_address(attr::xor_relayed_address);
  UdpPeer peer;
  ASSERT_EQ(c->channel_bind(0x4001, peer.address).cls(), Class::success);
  c->send_channel_data(0x4001, "over channel");
  const auto got = peer.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "over channel");
  peer.send_to(relayed, "back");
  const auto back = c->receive();
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->is_channel_data());
  const auto cd = stun::parse_channel_data(back->bytes);
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->channel, 0x4001);
  EXPECT_EQ(std::string(cd->data.begin(), cd->data.end()), "back");
  EXPECT_EQ(edge_->counters().channels, 1u);
}

TEST_F(EdgeTest, ChannelBindRejectsInvalidAndConflictingBindings) {
  start();
  auto c = client();
  ASSERT_EQ(c->allocate().cls(), Class::success);
  UdpPeer p1, p2;
  EXPECT_EQ(c->channel_bind(0x3FFF, p1.address).error(), 400);
  EXPECT_EQ(c->channel_bind(0x8000, p1.address).error(), 400);
  ASSERT_EQ(c->channel_bind(0x4000, p1.address).cls(), Class::success);
  EXPECT_EQ(c->channel_bind(0x4000, p2.address).error(), 400);  // channel taken
  EXPECT_EQ(c->channel_bind(0x4002, p1.address).error(), 400);  // peer has a channel
  EXPECT_EQ(c->channel_bind(0x4000, p1.address).cls(), Class::success);  // refresh
}

TEST_F(EdgeTest, PrivateAndLoopbackPeersAreRefused) {
  start();
  auto c = client();
  ASSERT_EQ(c->allocate().cls(), Class::success);
  EXPECT_EQ(c->create_permission(ep("10.0.0.1", 5000)).error(), 403);
  EXPECT_EQ(c->channel_bind(0x4001, ep("192.168.1.1", 5000)).error(), 403);
  EXPECT_EQ(c->create_permission(ep("::1", 5000)).error(), 443);  // IPv4-only allocation
  EXPECT_GE(edge_->counters().refused_peers, 2u);

  edge_->stop();
  auto o = base_options();
  o.config.allowed_peers.clear();
  start(o);
  auto c2 = client();
  ASSERT_EQ(c2->allocate().cls(), Class::success);
  EXPECT_EQ(c2->create_permission(ep("127.0.0.1", 5000)).error(), 403);
}

TEST_F(EdgeTest, PerUserQuotaIs486) {
  auto o = base_options();
  o.config.max_allocations_per_user = 1;
  o.config.max_allocations = 3;
  start(o);
  auto a1 = client();
  auto a2 = client();
  auto b1 = client("bob", "bob-pw");
  auto b2 = client("bob", "bob-pw");
  ASSERT_EQ(a1->allocate().cls(), Class::success);
  EXPECT_EQ(a2->allocate().error(), 486);
  ASSERT_EQ(b1->allocate().cls(), Class::success);
  EXPECT_EQ(b2->allocate().error(), 486);
  EXPECT_GE(edge_->counters().quota_refusals, 2u);
  // Freeing one lets another in.
  ASSERT_EQ(a1->refresh(0).cls(), Class::success);
  EXPECT_EQ(a2->allocate().cls(), Class::success);
}

TEST_F(EdgeTest, TotalCapIs508) {
  auto o = base_options();
  o.config.max_allocations = 1;
  start(o);
  auto a = client();
  auto b = client("bob", "bob-pw");
  ASSERT_EQ(a->allocate().cls(), Class::success);
  EXPECT_EQ(b->allocate().error(), 508);
}

TEST_F(EdgeTest, RefreshZeroDeletesAllocation) {
  start();
  auto c = client();
  ASSERT_EQ(c->allocate().cls(), Class::success);
  const auto r = c->refresh(0);
  ASSERT_EQ(r.cls(), Class::success);
  EXPECT_EQ(r.u32(attr::lifetime), 0u);
  EXPECT_EQ(edge_->counters().allocations, 0u);
  UdpPeer peer;
  EXPECT_EQ(c->create_permission(peer.address).error(), 437);
  // The 5-tuple is free again.
  EXPECT_EQ(c->allocate().cls(), Class::success);
}

TEST_F(EdgeTest, LifetimeIsClampedAndAllocationsExpire) {
  auto o = base_options();
  o.config.default_lifetime_seconds = 1;
  o.config.max_lifetime_seconds = 2;
  start(o);
  auto c = client();
  const auto r = c->allocate([](stun::MessageWriter& w) { w.add_u32(attr::lifetime, 3600); });
  ASSERT_EQ(r.cls(), Class::success);
  EXPECT_EQ(r.u32(attr::lifetime), 2u);
  EXPECT_EQ(edge_->counters().allocations, 1u);
  std::this_thread::sleep_for(3500ms);
  EXPECT_EQ(edge_->counters().allocations, 0u);
  EXPECT_EQ(c->refresh(1).error(), 437);
}

TEST_F(EdgeTest, TimeLimitedCredentialAcceptedAndExpiredRejected) {
  start();
  const auto now = std::chrono::system_clock::now();
  const auto good = mint_credential("shared-secret-1", "carol@example.org", 1h, now);
  auto c = client(good.username.c_str(), good.password.c_str());
  EXPECT_EQ(c->allocate().cls(), Class::success);

  const auto old = mint_credential("shared-secret-1", "carol@example.org", 1h, now - 2h);
  auto e = client(old.username.c_str(), old.password.c_str());
  EXPECT_EQ(e->allocate().error(), 401);

  const auto forged = mint_credential("another-secret", "carol@example.org", 1h, now);
  auto f = client(forged.username.c_str(), forged.password.c_str());
  EXPECT_EQ(f->allocate().error(), 401);
}

TEST_F(EdgeTest, EvenPortReservationTokenGivesNextPort) {
  start();
  auto c = client();
  const auto r = c->allocate([](stun::MessageWriter& w) {
    const std::uint8_t reserve[] = {0x80, 0, 0, 0};
    w.add(attr::even_port, {reserve, 1});
  });
  ASSERT_EQ(r.cls(), Class::success) << r.error();
  const auto relayed = *r.xor_address(attr::xor_relayed_address);
  EXPECT_EQ(relayed.port % 2, 0);
  const auto token = r.view().find(attr::reservation_token);
  ASSERT_TRUE(token);
  ASSERT_EQ(token->value.size(), 8u);
  const std::vector<std::uint8_t> t(token->value.begin(), token->value.end());

  auto other = client("bob", "bob-pw");
  const auto r2 = other->allocate([&](stun::MessageWriter& w) { w.add(attr::reservation_token, t); });
  ASSERT_EQ(r2.cls(), Class::success) << r2.error();
  EXPECT_EQ(r2.xor_address(attr::xor_relayed_address)->port, relayed.port + 1);
}

TEST_F(EdgeTest, ExternalAddressIsAdvertisedAndSelfTestChecksIt) {
  auto o = base_options();
  o.config.external_address = "203.0.113.7";
  start(o);
  auto c = client();
  const auto r = c->allocate();
  ASSERT_EQ(r.cls(), Class::success);
  EXPECT_EQ(r.xor_address(attr::xor_relayed_address)->ip, ep("203.0.113.7", 0).ip);
  const auto st = edge_->self_test();
  EXPECT_TRUE(st.ok) << st.message;
  EXPECT_NE(st.message.find("203.0.113.7"), std::string::npos) << st.message;
  EXPECT_EQ(edge_->counters().allocations, 1u);  // the self-test released its own
}

TEST_F(EdgeTest, BandwidthCapDropsExcess) {
  auto o = base_options();
  o.config.max_bandwidth_bytes_per_second = 2000;
  start(o);
  auto c = client();
  ASSERT_EQ(c->allocate().cls(), Class::success);
  UdpPeer peer;
  ASSERT_EQ(c->channel_bind(0x4001, peer.address).cls(), Class::success);
  const std::string chunk(500, 'x');
  for (int i = 0; i < 20; ++i) c->send_channel_data(0x4001, chunk);
  int received = 0;
  while (peer.receive(300)) ++received;
  EXPECT_GE(received, 3);
  EXPECT_LE(received, 5);  // 2000 bytes of burst, not 10000
  EXPECT_EQ(edge_->counters().bandwidth_drops, static_cast<std::uint64_t>(20 - received));
}

TEST_F(EdgeTest, Ipv6ListenerAndRelay) {
  auto o = base_options();
  o.config.udp = {{"::1", 0}};
  o.config.tcp = {};
  start(o);
  auto c = client();
  const auto r = c->allocate([](stun::MessageWriter& w) {
    const std::uint8_t v6[] = {0x02, 0, 0, 0};
    w.add(attr::requested_address_family, v6);
  });
  ASSERT_EQ(r.cls(), Class::success) << r.error();
  const auto relayed = *r.xor_address(attr::xor_relayed_address);
  EXPECT_EQ(relayed.family, stun::Family::ipv6);
  UdpPeer peer("::1");
  ASSERT_EQ(c->create_permission(peer.address).cls(), Class::success);
  c->send_indication(peer.address, "v6 hello");
  const auto got = peer.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "v6 hello");
  EXPECT_EQ(got->second, relayed);
  // An IPv4 relay cannot be had on an IPv6-only edge.
  auto c2 = client("bob", "bob-pw");
  const auto r2 = c2->allocate([](stun::MessageWriter& w) {
    const std::uint8_t v4[] = {0x01, 0, 0, 0};
    w.add(attr::requested_address_family, v4);
  });
  EXPECT_EQ(r2.error(), 440);
}

TEST_F(EdgeTest, DualStackAllocation) {
  auto o = base_options();
  o.config.udp = {{"127.0.0.1", 0}, {"::1", 0}};
  start(o);
  auto c = client();
  const auto r = c->allocate([](stun::MessageWriter& w) {
    const std::uint8_t v6[] = {0x02, 0, 0, 0};
    w.add(attr::additional_address_family, v6);
  });
  ASSERT_EQ(r.cls(), Class::success) << r.error();
  int families = 0;
  const auto view = r.view();
  for (const auto& a : view.attributes())
    if (a.type == attr::xor_relayed_address) ++families;
  EXPECT_EQ(families, 2);
  UdpPeer peer6("::1");
  ASSERT_EQ(c->create_permission(peer6.address).cls(), Class::success);
  c->send_indication(peer6.address, "dual");
  const auto got = peer6.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "dual");
}

TEST_F(EdgeTest, WildcardListenerRelaysOnTheAddressTheClientReached) {
  auto o = base_options();
  o.config.udp = {{"0.0.0.0", 0}};
  o.config.tcp = {};
  start(o);
  auto server = edge_->udp_endpoints().front();
  server.ip = ep("127.0.0.1", 0).ip;
  Client c(server);
  c.username = "alice";
  c.password = "alice-pw";
  const auto r = c.allocate();
  ASSERT_EQ(r.cls(), Class::success) << r.error();
  EXPECT_EQ(r.xor_address(attr::xor_relayed_address)->ip, ep("127.0.0.1", 0).ip);
}

TEST_F(EdgeTest, LegacyChannelNumbersFromRfc5766ClientsWork) {
  start();
  auto c = client();
  ASSERT_EQ(c->allocate().cls(), Class::success);
  UdpPeer peer;
  ASSERT_EQ(c->channel_bind(0x7ABC, peer.address).cls(), Class::success);
  c->send_channel_data(0x7ABC, "legacy");
  const auto got = peer.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "legacy");
}

TEST_F(EdgeTest, TcpClientGetsPaddedChannelData) {
  start();
  auto c = client("alice", "alice-pw", Client::Kind::tcp);
  EXPECT_EQ(c->transact(Method::binding, {}, false).cls(), Class::success);
  const auto r = c->allocate();
  ASSERT_EQ(r.cls(), Class::success) << r.error();
  const auto relayed = *r.xor_address(attr::xor_relayed_address);
  UdpPeer peer;
  ASSERT_EQ(c->channel_bind(0x4005, peer.address).cls(), Class::success);
  c->send_channel_data(0x4005, "abcde");  // padded to 12 bytes on the stream
  c->send_channel_data(0x4005, "fg");
  auto got = peer.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "abcde");
  got = peer.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->first, "fg");

  c->raw_frame_sizes_.clear();
  peer.send_to(relayed, "12345");
  const auto back = c->receive();
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->is_channel_data());
  ASSERT_EQ(c->raw_frame_sizes_.size(), 1u);
  EXPECT_EQ(c->raw_frame_sizes_[0], 12u);  // 4 + 5, padded to a multiple of 4
  const auto cd = stun::parse_channel_data(back->bytes);
  ASSERT_TRUE(cd);
  EXPECT_EQ(std::string(cd->data.begin(), cd->data.end()), "12345");
}

TEST_F(EdgeTest, ClosingTcpControlConnectionReleasesAllocation) {
  start();
  {
    auto c = client("alice", "alice-pw", Client::Kind::tcp);
    ASSERT_EQ(c->allocate().cls(), Class::success);
    EXPECT_EQ(edge_->counters().allocations, 1u);
  }
  for (int i = 0; i < 50 && edge_->counters().allocations != 0; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(edge_->counters().allocations, 0u);
}

TEST_F(EdgeTest, StartNamesTheAddressItCannotBind) {
  // A plain socket (no SO_REUSEPORT) holds the port, so the edge's bind must fail.
  UdpPeer holder;
  auto o = base_options();
  o.config.udp = {{"127.0.0.1", holder.address.port}};
  Edge edge(o);
  try {
    edge.start();
    FAIL() << "start() succeeded on a taken port";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(holder.address.port)),
              std::string::npos)
        << e.what();
  }
}

TEST_F(EdgeTest, SelfTestAllocatesOnItself) {
  start();
  const auto st = edge_->self_test();
  EXPECT_TRUE(st.ok) << st.message;
  EXPECT_NE(st.message.find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(edge_->counters().allocations, 0u);
  EXPECT_EQ(edge_->counters().allocations_total, 1u);
}

}  // namespace
}  // namespace parley::relay::test
