#include "im/tombstones.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace parley::im {
namespace {

using namespace std::chrono_literals;

TEST(Tombstones, RememberOnlyForTheEndpointsThatTookPart) {
  Tombstones t(10, 1h);
  t.bury("conv-1", "app-a");
  EXPECT_TRUE(t.ended_for("conv-1", "app-a"));
  EXPECT_FALSE(t.ended_for("conv-1", "app-b"));
  EXPECT_FALSE(t.ended_for("conv-2", "app-a"));
  // An id and an endpoint that together spell another pair do not collide.
  t.bury("conv", "1\napp-a");
  EXPECT_FALSE(t.ended_for("conv\n1", "app-a"));
}

TEST(Tombstones, ForgetTheOldestBeyondTheirBounds) {
  const auto t0 = Tombstones::Clock::time_point{} + 100h;
  Tombstones t(3, 1h);
  for (int i = 0; i < 5; ++i) t.bury("conv-" + std::to_string(i), "app", t0);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_FALSE(t.ended_for("conv-0", "app", t0));
  EXPECT_FALSE(t.ended_for("conv-1", "app", t0));
  EXPECT_TRUE(t.ended_for("conv-4", "app", t0));
  // An hour later they are gone too.
  EXPECT_FALSE(t.ended_for("conv-4", "app", t0 + 1h + 1s));
  EXPECT_EQ(t.size(), 0u);
}

TEST(Tombstones, AnEndpointWithoutIdIsNeverRecorded) {
  Tombstones t(3, 1h);
  t.bury("conv", "");
  EXPECT_EQ(t.size(), 0u);
}

}  // namespace
}  // namespace parley::im
