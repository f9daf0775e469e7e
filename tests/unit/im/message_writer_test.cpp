// Group commit: every message handed to the writer is stored exactly once with its own seq, the
// callers learn their seq only after the commit, and one bad message never fails the others.
#include "im/message_writer.hpp"
#include "storage/sqlite/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace parley::im {
namespace {

class Writer : public ::testing::Test {
protected:
  Writer()
      : dir_(std::filesystem::temp_directory_path() /
             ("parley-writer-" + std::to_string(std::random_device{}()))) {
    std::filesystem::create_directories(dir_);
    store_ = storage::open_sqlite_store(dir_ / "db");
    store_->create_user("alice@example.org", {}, true, "");
    store_->create_user("bob@example.org", {}, true, "");
    store_->create_conversation({"c1", "t1", "", "Normal", "alice@example.org", 0},
                                {"alice@example.org", "bob@example.org"});
  }
  ~Writer() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  storage::MessageRecord message(std::string text, std::string conversation = "c1") {
    return {std::move(conversation), 0, "alice@example.org", 0, "Plain", text, text};
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(Writer, ConcurrentAppendsGetEverySeqOnce) {
  constexpr int kThreads = 4, kEach = 250;
  std::mutex m;
  std::condition_variable cv;
  std::set<std::int64_t> seqs;
  int done = 0, failed = 0;
  {
    MessageWriter writer(*store_, 64);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i)
          writer.append(message("m" + std::to_string(t) + "-" + std::to_string(i)),
                        [&](std::exception_ptr e, std::int64_t seq) {
                          std::lock_guard lock(m);
                          if (e) ++failed;
                          else seqs.insert(seq);
                          ++done;
                          cv.notify_all();
                        });
      });
    for (auto& t : threads) t.join();
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return done == kThreads * kEach; }));
  }
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(seqs.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), kThreads * kEach);
  // Everything acknowledged is in the store.
  EXPECT_EQ(store_->list_messages("c1", 0, 2000).size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST_F(Writer, ABadMessageFailsAloneAndTheRestOfItsBatchIsStored) {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::pair<bool, std::int64_t>> results(3);
  int done = 0;
  {
    MessageWriter writer(*store_, 512);
    auto record = [&](int i) {
      return [&, i](std::exception_ptr e, std::int64_t seq) {
        std::lock_guard lock(m);
        results[i] = {e == nullptr, seq};
        ++done;
        cv.notify_all();
      };
    };
    writer.append(message("first"), record(0));
    writer.append(message("lost", "no-such-conversation"), record(1));
    writer.append(message("third"), record(2));
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == 3; }));
  }
  EXPECT_TRUE(results[0].first);
  EXPECT_FALSE(results[1].first);
  EXPECT_TRUE(results[2].first);
  const auto stored = store_->list_messages("c1", 0, 10);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].text, "first");
  EXPECT_EQ(stored[1].text, "third");
}

TEST_F(Writer, StoppingCommitsWhatIsQueued) {
  std::atomic<int> done{0};
  {
    MessageWriter writer(*store_, 8);
    for (int i = 0; i < 100; ++i)
      writer.append(message("q" + std::to_string(i)), [&](std::exception_ptr e, std::int64_t) {
        if (!e) ++done;
      });
  }  // the destructor drains the queue
  EXPECT_EQ(done.load(), 100);
  EXPECT_EQ(store_->list_messages("c1", 0, 200).size(), 100u);
}

}  // namespace
}  // namespace parley::im
