#pragma once
// The contact lists of the SQLite store (`contact_groups`, `group_memberships`), internal to
// parley_storage. Each function runs on a connection the caller has to itself (the store holds
// its lock); see Store for the contract.
//
// Limits: a group name is 1..256 characters without control characters; 64 groups per owner,
// the two built-in ones included; 1000 distinct contacts per owner; a contact URI is 1..1024
// bytes. A contact URI is stored lower-case without "sip:", whichever form the caller passes.
// An owner that is not a user has no groups and no memberships; writing to her list is NotFound.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

constexpr std::size_t kMaxGroupNameChars = 256;
constexpr std::size_t kMaxGroupsPerOwner = 64;
constexpr std::size_t kMaxContactsPerOwner = 1000;

std::vector<ContactGroup> list_groups(Connection& db, std::string_view owner);
ContactGroup create_group(Connection& db, std::string_view owner, std::string_view name);
bool rename_group(Connection& db, std::string_view owner, std::int64_t group_id,
                  std::string_view name);
bool remove_group(Connection& db, std::string_view owner, std::int64_t group_id);

std::vector<GroupMembership> list_memberships(Connection& db, std::string_view owner);
bool add_membership(Connection& db, std::string_view owner, std::string_view contact_uri,
                    std::int64_t group_id);
bool remove_membership(Connection& db, std::string_view owner, std::string_view contact_uri,
                       std::int64_t group_id);
std::size_t remove_contact(Connection& db, std::string_view owner, std::string_view contact_uri);

}  // namespace parley::storage::sqlite
