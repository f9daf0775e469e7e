#include "im/message_writer.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace parley::im {

MessageWriter::MessageWriter(storage::Store& store, std::size_t max_batch)
    : store_(store), max_batch_(max_batch ? max_batch : 1), thread_([this] { run(); }) {}

MessageWriter::~MessageWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void MessageWriter::append(storage::MessageRecord message, Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({std::move(message), std::move(done)});
  }
  wake_.notify_one();
}

boost::asio::awaitable<std::int64_t> MessageWriter::append(storage::MessageRecord message) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                     void(std::exception_ptr, std::int64_t)>(
      [this](auto handler, storage::MessageRecord m) {
        auto executor = boost::asio::get_associated_executor(handler);
        // The handler is move-only; Done must be copyable.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        append(std::move(m), [shared, executor](std::exception_ptr e, std::int64_t seq) {
          boost::asio::post(executor, [shared, e, seq] { std::move(*shared)(e, seq); });
        });
      },
      boost::asio::use_awaitable, std::move(message));
}

void MessageWriter::run() {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is committed
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit(batch);
    batch.clear();
  }
}

void MessageWriter::commit(std::vector<Item>& batch) {
  std::vector<storage::MessageRecord> records;
  records.reserve(batch.size());
  for (auto& item : batch) records.push_back(std::move(item.message));
  try {
    const auto seqs = store_.append_messages(records);
    for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(nullptr, seqs.at(i));
    return;
  } catch (...) {
    if (batch.size() == 1) {
      batch[0].done(std::current_exception(), 0);
      return;
    }
  }
  // The batch failed as a whole (nothing of it was written): find which message it was, so that
  // the others are still stored and acknowledged.
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      const auto seqs = store_.append_messages({records[i]});
      batch[i].done(nullptr, seqs.at(0));
    } catch (...) {
      batch[i].done(std::current_exception(), 0);
    }
  }
}

}  // namespace parley::im
