#pragma once
// Builders and a fixture for the messaging tests of the SQLite store.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "storage/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::storage::test {

inline ConversationRecord conversation_of(std::string id, std::string initiator,
                                          std::string subject = "", std::int64_t at_ms = 1000) {
  ConversationRecord c;
  c.id = std::move(id);
  c.thread_id = "thread-" + c.id;
  c.subject = std::move(subject);
  c.initiator = std::move(initiator);
  c.created_at_ms = at_ms;
  return c;
}

inline MessageRecord message_of(std::string conversation_id, std::string sender, std::int64_t at_ms,
                                std::string plain) {
  MessageRecord m;
  m.conversation_id = std::move(conversation_id);
  m.sender = std::move(sender);
  m.at_ms = at_ms;
  m.format = "Plain";
  m.text = plain;
  m.plain = std::move(plain);
  return m;
}

inline std::vector<std::string> ids_of(const std::vector<ConversationLogRecord>& logs) {
  std::vector<std::string> out;
  for (const auto& l : logs) out.push_back(l.conversation_id);
  return out;
}

class SqliteMessaging : public ::testing::Test {
protected:
  void SetUp() override { store_ = open_sqlite_store(file_); }
  void reopen() {
    store_.reset();
    store_ = open_sqlite_store(file_);
  }
  // alice starts a 1:1 conversation with bob.
  void start(const std::string& id, std::int64_t at_ms = 1000) {
    store_->create_conversation(conversation_of(id, "alice@example.org", "Lunch?", at_ms),
                                {"alice@example.org", "bob@example.org"});
  }
  ConversationLogRecord log_of(const std::string& owner, const std::string& id) {
    auto log = store_->find_conversation_log(owner, id);
    if (!log) throw std::runtime_error(owner + " has no log entry of " + id);
    return *log;
  }

  TempDir dir_;
  std::filesystem::path file_ = dir_.path() / "parley.db";
  std::unique_ptr<Store> store_;
};

}  // namespace parley::storage::test
