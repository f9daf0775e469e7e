#pragma once
// Durable message appends with group commit: every sendMessage waits until its message is
// committed (DESIGN.md §3 "nothing acknowledged is lost"), but the messages that arrive while a
// commit is running go to disk together in the next one, so the fsync cost is shared. One
// writer thread; a coroutine awaiting append() holds no thread.

#include "storage/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace parley::im {

class MessageWriter {
public:
  explicit MessageWriter(storage::Store& store, std::size_t max_batch = 512);
  // Commits what is queued, then stops.
  ~MessageWriter();
  MessageWriter(const MessageWriter&) = delete;
  MessageWriter& operator=(const MessageWriter&) = delete;

  // The message's seq once it is committed; rethrows what the store threw for it (a failing
  // message never fails the others of its batch).
  boost::asio::awaitable<std::int64_t> append(storage::MessageRecord message);

  using Done = std::function<void(std::exception_ptr, std::int64_t)>;
  // Same, for callers that are not coroutines: `done` runs on the writer thread.
  void append(storage::MessageRecord message, Done done);

private:
  struct Item {
    storage::MessageRecord message;
    Done done;
  };
  void run();
  void commit(std::vector<Item>& batch);

  storage::Store& store_;
  const std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::im
