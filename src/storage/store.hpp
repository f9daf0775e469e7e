#pragma once
// The store: everything Parley keeps. The interface is synchronous; the server runs its calls on
// a worker pool (storage/blocking_pool.hpp) so that no request thread waits on the disk.
// Implementations: sqlite/ (embedded default); PostgreSQL later, behind the same interface.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::storage {

struct PhoneNumbers {
  std::string work;
  std::string mobile;
  std::string home;
  std::string other;
  bool operator==(const PhoneNumbers&) const = default;
};

// The directory fields an administrator sets on a user.
struct UserProfile {
  std::string display_name;
  std::string email;
  std::string title;
  std::string department;
  std::string office;
  PhoneNumbers phones;
  std::string site;
  bool operator==(const UserProfile&) const = default;
};

struct User {
  std::int64_t id = 0;
  std::string sip_uri;  // "sip:alice@example.org" is not used: stored as "alice@example.org", lower-case
  UserProfile profile;
  bool enabled = true;
  bool has_password = false;
  std::int64_t created_at_ms = 0;  // ms since the epoch
  std::int64_t updated_at_ms = 0;
};

// A partial update: only the fields that hold a value change.
struct UserPatch {
  std::optional<std::string> display_name, email, title, department, office, site;
  std::optional<std::string> phone_work, phone_mobile, phone_home, phone_other;
  std::optional<bool> enabled;
  bool empty() const;
};

struct ListQuery {
  std::string after;        // page after this SIP URI (exclusive); empty: from the start
  std::size_t limit = 100;  // at most this many
  std::optional<bool> enabled;
};

enum class ImportOutcome { created, updated, unchanged };

class Store {
public:
  virtual ~Store() = default;

  // Liveness: a trivial query. Throws StoreError when the database cannot answer.
  virtual void ping() = 0;

  // SIP URIs are compared case-insensitively (stored lower-case).
  virtual std::optional<User> find_user(std::string_view sip_uri) = 0;
  virtual std::vector<User> list_users(const ListQuery& q) = 0;
  virtual std::size_t count_users() = 0;
  // Throws parley::Conflict when the SIP URI exists. `password_hash` may be empty (no password yet).
  virtual User create_user(std::string_view sip_uri, const UserProfile& profile, bool enabled,
                           std::string_view password_hash) = 0;
  virtual std::optional<User> update_user(std::string_view sip_uri, const UserPatch& patch) = 0;
  virtual bool remove_user(std::string_view sip_uri) = 0;
  virtual bool set_password_hash(std::string_view sip_uri, std::string_view password_hash) = 0;
  // Empty optional: no such user. Empty string: user without a password.
  virtual std::optional<std::string> password_hash(std::string_view sip_uri) = 0;

  // One row of a bulk import, applied with others in one transaction. A user that exists keeps
  // her password; `password_hash` is used only when the row creates her.
  struct ImportRow {
    std::string sip_uri;
    UserProfile profile;
    bool enabled = true;
    std::string password_hash;
  };
  virtual std::vector<ImportOutcome> import_users(const std::vector<ImportRow>& rows) = 0;

  // Small named values the server keeps for itself (admin credential hash, CA serial, ...).
  virtual std::optional<std::string> get_setting(std::string_view key) = 0;
  virtual void put_setting(std::string_view key, std::string_view value) = 0;

  virtual int schema_version() = 0;
};

}  // namespace parley::storage
