#pragma once
// The schema migrations, embedded at build time from src/storage/migrations/NNNN_name.sql by
// embed_migrations.cmake. The build refuses gaps, so versions run 1, 2, ... N in order.

#include <span>
#include <string_view>

namespace parley::storage {

struct Migration {
  int version;
  std::string_view name;  // "initial" for 0001_initial.sql
  std::string_view sql;   // one or more statements, applied in one transaction
};

std::span<const Migration> migrations();

inline int newest_schema_version() {
  const auto all = migrations();
  return all.empty() ? 0 : all.back().version;
}

}  // namespace parley::storage
