#pragma once
// Push registrations in the SQLite store (`push_registrations`), internal to parley_storage. Each
// function runs on a connection the caller has to itself (the store holds its lock); see Store
// for the contract.
//
// Limits (checked before anything is written; ParameterValidationFailure naming the field):
// - id: 1..64 bytes; endpoint id: 1..256 bytes;
// - owner: a SIP URI of 1..1024 bytes, kept lower-case;
// - provider: apns, fcm or webpush; environment: production or development;
// - token: 1..4096 bytes; voip token: at most 4096 bytes, and only on an APNs registration that
//   is not itself a VoIP one; p256dh and auth: at most 256 bytes each; app id: at most 255 bytes;
// - locale: at most 35 characters; device name: at most 100 characters.
// An owner keeps at most 100 registrations: a new one beyond that is a Conflict (replacing one
// she has is not). Lookups with an id, owner or endpoint id beyond these limits find nothing.
//
// Health fields of the record passed to put_push_registration are ignored: only delivery
// attempts write them, and a re-registration starts them afresh.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "storage/sqlite/connection.hpp"
#include "storage/store.hpp"

namespace parley::storage::sqlite {

constexpr std::size_t kMaxPushIdBytes = 64;
constexpr std::size_t kMaxPushEndpointIdBytes = 256;
constexpr std::size_t kMaxPushTokenBytes = 4096;
constexpr std::size_t kMaxPushKeyBytes = 256;
constexpr std::size_t kMaxPushAppIdBytes = 255;
constexpr std::size_t kMaxPushLocaleChars = 35;
constexpr std::size_t kMaxPushDeviceNameChars = 100;
constexpr std::size_t kMaxPushRegistrationsPerOwner = 100;
// A provider's reason is kept for administrators; a longer one is cut, not refused.
constexpr std::size_t kMaxPushErrorBytes = 1024;

PushRegistration put_push_registration(Connection& db, const PushRegistration& r);
std::optional<PushRegistration> find_push_registration(Connection& db, std::string_view id);
std::optional<PushRegistration> find_push_registration_of(Connection& db, std::string_view owner,
                                                          std::string_view endpoint_id);
std::vector<PushRegistration> list_push_registrations(Connection& db, std::string_view owner);
bool delete_push_registration(Connection& db, std::string_view id);
bool record_push_attempt(Connection& db, std::string_view id, std::int64_t at_ms, bool success,
                         std::int64_t status, std::string_view error);

// The registrations of a user being removed; the caller holds the transaction that removes her.
// `sip_uri` is in stored form.
void remove_user_push_registrations(Connection& db, std::string_view sip_uri);

}  // namespace parley::storage::sqlite
