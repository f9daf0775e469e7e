#pragma once
// The embedded store: one SQLite file in the data directory, the default for a single machine.

#include <filesystem>
#include <memory>

#include "storage/store.hpp"

namespace parley::storage {

// Opens the database file, creating it (mode 0600) when missing, and brings its schema up to the
// newest migration this build embeds. The parent directory must exist. The connection runs in WAL
// mode with synchronous=FULL, so a write that has returned survives kill -9 and power loss.
// The returned store may be called from several threads at once.
//
// Throws parley::StoreError when the file cannot be opened, is not a Parley database, or carries
// a schema version newer than this build knows; the file is then left exactly as it was.
//
// Input limits (ParameterValidationFailure when exceeded on a write; lookups of an over-long SIP
// URI simply find nothing): SIP URI 1..1024 bytes, profile fields 4096 bytes, password hash 512
// bytes, setting key 1..256 bytes, setting value 1 MiB, 10000 rows per import. Token and sign-in
// limits are in sqlite/tokens.hpp and sqlite/signins.hpp; the sign-in log keeps the newest
// million attempts and drops older ones.
//
// Contact-list and photo limits are in sqlite/contacts.hpp and sqlite/photos.hpp; the search
// index in sqlite/directory.hpp. Policies, service configuration and the administrative audit
// trail (which keeps the newest 100,000 entries) in sqlite/policies.hpp and sqlite/audit.hpp.
// Conversations and messages in sqlite/messaging.hpp; removing a user removes her conversation
// history, while the conversations she took part in stay for the others.
//
// Disabling a user (update_user, import_users) deletes her tokens in the same transaction.
std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& db_file);

}  // namespace parley::storage
