#pragma once
// The store: everything Parley keeps. The interface is synchronous; the server runs its calls on
// a worker pool (storage/blocking_pool.hpp) so that no request thread waits on the disk.
// Implementations: sqlite/ (embedded default); PostgreSQL later, behind the same interface.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

// A bearer token issued by the web-ticket service. Only its SHA-256 is ever stored.
struct TokenRecord {
  std::string token_sha256;  // lower-case hex
  std::string sip_uri;       // whose token
  std::int64_t issued_at_ms = 0;
  std::int64_t expires_at_ms = 0;
  std::string client_address;
  std::string user_agent;  // at most 512 bytes are kept
  std::string site;        // "internal" | "external"
  std::string grant_type;  // "password", ...
};

// One sign-in attempt, successful or not: the audit trail behind `parley signin-log`.
struct SigninRecord {
  std::int64_t id = 0;  // assigned by the store, increasing
  std::int64_t at_ms = 0;
  std::string username;    // as submitted, at most 256 bytes
  std::string sip_uri;     // the account it resolved to; empty when none
  std::string outcome;     // "success", "invalid_grant", "throttled", "invalid_request", ...
  std::string client_address;
  std::string site;
  std::string user_agent;  // at most 512 bytes
  std::string grant_type;
};

struct SigninQuery {
  std::string sip_uri;        // only this account's attempts; empty: everyone's
  std::int64_t before_id = 0; // page: entries with a smaller id; 0: from the newest
  std::size_t limit = 100;    // newest first
};

// A contact group of one user's contact list (UCWA.md §5.2). Every user has the two built-in
// groups, created on first use: "pinned" (Favorites) and "default" (Other Contacts).
struct ContactGroup {
  std::int64_t id = 0;
  std::string name;
  std::string kind;  // "pinned" | "default" | "user"
  bool operator==(const ContactGroup&) const = default;
};

// One contact in one group. A contact is any "user@domain" (not necessarily in the directory).
struct GroupMembership {
  std::string contact_uri;  // lower-case, no "sip:"
  std::int64_t group_id = 0;
  std::int64_t added_at_ms = 0;
  bool operator==(const GroupMembership&) const = default;
};

struct Photo {
  std::string content_type;  // "image/jpeg" | "image/png"
  std::string bytes;
  std::int64_t updated_at_ms = 0;
};

// One entry of the administrative audit trail: who changed what, when, from what to what.
struct AuditRecord {
  std::int64_t id = 0;      // assigned by the store, increasing
  std::int64_t at_ms = 0;   // 0: the store stamps the current time
  std::string actor;        // "admin" (the admin credential) or another principal
  std::string action;       // "policy.new", "policy.set", "policy.remove", "policy.grant", "config.set", "session.end"
  std::string target;       // "mobility/contractor", "site field-staff", "mcx/global", ...
  std::string old_value;    // JSON text; empty when there was none
  std::string new_value;    // JSON text; empty when removed
};

// A named policy of a kind ("mobility"): the settings it sets, as a JSON object text.
struct NamedPolicy {
  std::string kind;
  std::string name;      // unique per kind, case-insensitive; "global" is the global scope
  std::string settings;  // JSON object text
  std::int64_t updated_at_ms = 0;
};

// Which named policy applies to a site or a user.
struct PolicyAssignment {
  std::string scope;  // "site" | "user"
  std::string key;    // site name, or the user's SIP URI (lower-case, no "sip:")
  std::string kind;
  std::string name;
};

// Instant messaging (UCWA.md §5.4, §5.8). A conversation is shared by its participants; every
// participant has her own conversation log entry (history), with her own read state.
struct ConversationRecord {
  std::string id;         // server-wide, URL-safe
  std::string thread_id;  // client-supplied or generated
  std::string subject;    // at most 250 characters
  std::string importance = "Normal";  // Normal | Urgent | Emergency
  std::string initiator;  // "alice@example.org"
  std::int64_t created_at_ms = 0;
  std::string type = "MessageLog";  // MessageLog | AudioLog | VideoLog
};

struct MessageRecord {
  std::string conversation_id;
  std::int64_t seq = 0;  // assigned by append_messages: 1, 2, ... per conversation
  std::string sender;    // "alice@example.org"
  std::int64_t at_ms = 0;
  std::string format;    // "Plain" | "Html" (already sanitized)
  std::string text;      // the message as delivered
  std::string plain;     // plain-text rendering (for previews and plain-only readers)
};

struct ConversationLogRecord {
  std::string owner;  // whose history
  std::string conversation_id;
  std::string thread_id;
  std::string subject;
  std::string importance;
  std::string type = "MessageLog";   // MessageLog | AudioLog | VideoLog (the conversation's)
  std::int64_t duration_ms = 0;      // a call's, from answer to hang-up
  std::string direction;             // "Incoming" | "Outgoing" (as the owner saw it)
  std::string status = "Archived";   // "Archived" | "Missed"
  std::string preview;               // plain text of the latest message, at most 256 characters
  std::vector<std::string> participants;  // everyone in the conversation, owner included
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;    // the latest message (or creation)
  std::int64_t message_count = 0;
  bool read = true;                  // false while it holds something the owner has not read
  // The first message the owner may read: 1, or where she joined a running conversation.
  std::int64_t first_seq = 1;
};

struct MissedCounts {
  std::int64_t missed_conversations = 0;
  std::int64_t unread_missed_conversations = 0;
  std::int64_t conversation_logs = 0;
};

// A device registered for push notifications (Parley's pushNotificationRegistration resource).
// One per (owner, endpoint_id): the same app on the same device registering again replaces it.
struct PushRegistration {
  std::string id;           // server-wide, URL-safe; kept when a registration is replaced
  std::string owner;        // "bob@example.org"
  std::string endpoint_id;  // the UCWA application's endpointId: one device, one registration
  std::string provider;     // "apns" | "fcm" | "webpush"
  std::string token;        // APNs device token (hex), FCM registration token, or Web Push endpoint URL
  std::string p256dh, auth; // Web Push subscription keys (base64url); empty for the others
  std::string app_id;       // APNs topic (bundle id), FCM/Web Push: the client app's id; may be empty
  std::string environment = "production";  // "production" | "development" (APNs sandbox)
  bool voip = false;        // an APNs VoIP (PushKit) token: calls go as apns-push-type voip
  std::string voip_token;   // APNs only: the device's PushKit token beside its alert `token`; calls
                            // go to it as VoIP pushes, everything else to `token`. Empty: none
  std::string locale;       // e.g. "en-US", at most 35 characters
  std::string device_name;  // what the user calls the device, at most 100 characters
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // Health, written after each delivery attempt.
  std::int64_t last_attempt_ms = 0;
  std::int64_t last_success_ms = 0;
  std::int64_t last_status = 0;   // provider's HTTP status of the last attempt; 0: none or no answer
  std::string last_error;         // provider's reason of the last failure ("Unregistered", ...); "" after a success
};

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

  // Tokens. Removing a user removes her tokens too.
  virtual void insert_token(const TokenRecord& token) = 0;
  virtual std::optional<TokenRecord> find_token(std::string_view token_sha256) = 0;
  virtual std::vector<TokenRecord> list_tokens(std::string_view sip_uri) = 0;
  // Deletes every token of the user; returns how many there were.
  virtual std::size_t revoke_user_tokens(std::string_view sip_uri) = 0;
  virtual bool revoke_token(std::string_view token_sha256) = 0;
  // Deletes tokens that expired before `now_ms`; returns how many.
  virtual std::size_t purge_expired_tokens(std::int64_t now_ms) = 0;

  // The sign-in audit trail: append-only, listed newest first.
  virtual std::int64_t append_signin(const SigninRecord& record) = 0;
  virtual std::vector<SigninRecord> list_signins(const SigninQuery& q) = 0;

  // Address-book search (UCWA.md §5.2): enabled users whose display name (or any word of it),
  // email, SIP URI (user part or whole) or a phone number starts with `query`,
  // case-insensitively; for phone numbers, only digits count on both sides ("+1 (425) 555" finds
  // "+14255550100"). Ranked: exact SIP URI or email match first, then display-name prefix, then
  // word-of-name prefix, then email/SIP prefix, then phone; ties by display name then SIP URI.
  // Returns at most `limit` users. The query is at most 256 characters; an empty query matches
  // nobody.
  virtual std::vector<User> search_directory(std::string_view query, std::size_t limit) = 0;

  // Contact list. Listing creates the built-in groups when the user has none yet; their order
  // is pinned, default, then user groups by name.
  virtual std::vector<ContactGroup> list_groups(std::string_view owner) = 0;
  // Throws parley::Conflict when the owner already has a group with that name
  // (case-insensitively), parley::ParameterValidationFailure for an empty name or one longer than
  // 256 characters, parley::Forbidden/LimitExceeded beyond 64 groups.
  virtual ContactGroup create_group(std::string_view owner, std::string_view name) = 0;
  // False when there is no such group of that owner. Built-in groups cannot be renamed or
  // removed (parley::Forbidden). Removing a group removes its memberships.
  virtual bool rename_group(std::string_view owner, std::int64_t group_id, std::string_view name) = 0;
  virtual bool remove_group(std::string_view owner, std::int64_t group_id) = 0;
  // Ordered by contact URI, then group id.
  virtual std::vector<GroupMembership> list_memberships(std::string_view owner) = 0;
  // True when added, false when it was already there. Throws parley::NotFound when the group is
  // not the owner's, parley::Forbidden/LimitExceeded beyond 1000 distinct contacts.
  virtual bool add_membership(std::string_view owner, std::string_view contact_uri,
                              std::int64_t group_id) = 0;
  virtual bool remove_membership(std::string_view owner, std::string_view contact_uri,
                                 std::int64_t group_id) = 0;
  // Removes the contact from every group; returns how many memberships there were.
  virtual std::size_t remove_contact(std::string_view owner, std::string_view contact_uri) = 0;

  // Photos (at most 512 KiB each). Removing a user removes her photo and contact list.
  virtual std::optional<Photo> find_photo(std::string_view sip_uri) = 0;
  virtual void put_photo(std::string_view sip_uri, const Photo& photo) = 0;
  virtual bool remove_photo(std::string_view sip_uri) = 0;

  // Policies and service configuration (policy/policy.hpp). Every change is written together
  // with its audit record, in one transaction: either both are stored or neither.
  virtual std::vector<NamedPolicy> list_policies(std::string_view kind) = 0;
  virtual std::optional<NamedPolicy> find_policy(std::string_view kind, std::string_view name) = 0;
  // Creates or replaces. `create_only`: throws parley::Conflict when it exists.
  virtual void put_policy(const NamedPolicy& policy, bool create_only, const AuditRecord& audit) = 0;
  // Removes the policy and its assignments; false when there was none. The global policy cannot
  // be removed (parley::Forbidden).
  virtual bool remove_policy(std::string_view kind, std::string_view name, const AuditRecord& audit) = 0;
  // Assigns `name` (which must exist: parley::NotFound otherwise) to the scope; an empty name
  // removes the assignment.
  virtual void assign_policy(const PolicyAssignment& assignment, const AuditRecord& audit) = 0;
  virtual std::vector<PolicyAssignment> list_assignments(std::string_view kind) = 0;
  // Service configuration of a kind ("mcx", "push", "webservice") at a scope ("global" or
  // "site:<name>"): the settings set there, as a JSON object text; nullopt when none.
  virtual std::optional<std::string> get_service_config(std::string_view kind, std::string_view scope) = 0;
  // Every stored scope of a kind: scope -> JSON object text.
  virtual std::vector<std::pair<std::string, std::string>> list_service_config(std::string_view kind) = 0;
  // Empty `settings` removes the scope's entry.
  virtual void put_service_config(std::string_view kind, std::string_view scope,
                                  std::string_view settings, const AuditRecord& audit) = 0;
  // An audit entry on its own (e.g. a session ended by an administrator).
  virtual std::int64_t append_audit(const AuditRecord& record) = 0;
  // Newest first; entries with an id below `before_id` (0: from the newest).
  virtual std::vector<AuditRecord> list_audit(std::int64_t before_id, std::size_t limit) = 0;

  // Messaging. create_conversation stores the conversation and a log entry for each participant
  // (direction Outgoing for the initiator, Incoming for the others; unread for the others).
  // Throws parley::Conflict when the id exists.
  virtual void create_conversation(const ConversationRecord& c,
                                   const std::vector<std::string>& participants) = 0;
  // Adds a participant to an existing conversation (multi-party): she gets a log entry
  // (Incoming, unread). No-op when she is in it already; parley::NotFound for no conversation.
  virtual void add_participant(std::string_view conversation_id, std::string_view user) = 0;
  // Appends messages, possibly of several conversations, in ONE transaction (group commit): seq
  // numbers are assigned per conversation, and every participant's log entry gets the preview,
  // updated time and message count; for everyone but the sender it becomes unread. Returns the
  // assigned seqs in input order. Throws parley::NotFound (nothing written) if a conversation
  // does not exist, parley::EntityTooLarge for text over 64 KiB.
  virtual std::vector<std::int64_t> append_messages(const std::vector<MessageRecord>& messages) = 0;
  // A call ended: the conversation's log type (AudioLog | VideoLog) and how long it lasted; every
  // participant's entry moves to `at_ms`. parley::NotFound when there is no such conversation.
  virtual void finish_call(std::string_view conversation_id, std::string_view type,
                           std::int64_t duration_ms, std::int64_t at_ms) = 0;
  // Marks the owner's entry Missed (and unread); false when she has none.
  virtual bool mark_missed(std::string_view owner, std::string_view conversation_id) = 0;
  // Newest first (by updated time, then conversation id); entries strictly older than the
  // cursor (updated_at_ms, conversation_id) when given; at most `limit`. Deleted entries are not
  // listed.
  struct LogCursor {
    std::int64_t updated_at_ms = 0;
    std::string conversation_id;
  };
  virtual std::vector<ConversationLogRecord> list_conversation_logs(
      std::string_view owner, const std::optional<LogCursor>& before, std::size_t limit) = 0;
  virtual std::optional<ConversationLogRecord> find_conversation_log(std::string_view owner,
                                                                     std::string_view conversation_id) = 0;
  // Messages of a conversation with seq > after_seq, oldest first, at most `limit`.
  virtual std::vector<MessageRecord> list_messages(std::string_view conversation_id,
                                                   std::int64_t after_seq, std::size_t limit) = 0;
  virtual bool mark_log_read(std::string_view owner, std::string_view conversation_id) = 0;
  // Hides the entry from the owner's history (the others keep theirs); false when none.
  virtual bool delete_conversation_log(std::string_view owner, std::string_view conversation_id) = 0;
  virtual MissedCounts missed_counts(std::string_view owner) = 0;
  // Retention: removes messages older than `before_ms` and log entries whose conversation has no
  // message left and was updated before it; returns how many messages went.
  virtual std::size_t purge_messages_before(std::int64_t before_ms) = 0;

  // Push registrations. put_push_registration inserts, or replaces the one with the same
  // (owner, endpoint_id) keeping its id and created time (health is reset); returns what is
  // stored. Throws ParameterValidationFailure for a field out of its limits (token ≤ 4096 bytes,
  // keys ≤ 256, app_id ≤ 255, locale ≤ 35, device_name ≤ 100, provider/environment not one of
  // the values above) and Conflict when `id` is taken by another (owner, endpoint_id), or when the
  // owner already has 100 registrations. `id` is the caller's (1..64 bytes); on a replacement
  // the stored one is kept and returned.
  virtual PushRegistration put_push_registration(const PushRegistration& r) = 0;
  virtual std::optional<PushRegistration> find_push_registration(std::string_view id) = 0;
  virtual std::optional<PushRegistration> find_push_registration_of(std::string_view owner,
                                                                    std::string_view endpoint_id) = 0;
  // The owner's registrations, oldest first.
  virtual std::vector<PushRegistration> list_push_registrations(std::string_view owner) = 0;
  virtual bool delete_push_registration(std::string_view id) = 0;
  // Health after an attempt: success sets last_success_ms and clears last_error.
  virtual bool record_push_attempt(std::string_view id, std::int64_t at_ms, bool success,
                                   std::int64_t status, std::string_view error) = 0;

  // Small named values the server keeps for itself (admin credential hash, CA serial, ...).
  virtual std::optional<std::string> get_setting(std::string_view key) = 0;
  virtual void put_setting(std::string_view key, std::string_view value) = 0;

  virtual int schema_version() = 0;
};

}  // namespace parley::storage
