#pragma once
// An in-memory Store for the auth tests: users, password hashes, tokens, sign-ins, contact lists,
// photos, policies and the audit trail in maps, with counters that let a test see how often the
// token table was asked (the cache's point). Messaging throws: no auth test uses it.
// Thread-safe, since the code under test calls it from the blocking pool.

#include "common/error.hpp"
#include "storage/store.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace parley::auth::testing {

class FakeStore : public storage::Store {
public:
  std::atomic<int> find_token_calls{0};
  std::atomic<bool> fail_signins{false};

  void ping() override {}

  std::optional<storage::User> find_user(std::string_view sip) override {
    std::lock_guard lock(mutex_);
    auto it = users_.find(std::string(sip));
    if (it == users_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<storage::User> list_users(const storage::ListQuery&) override { return {}; }
  std::size_t count_users() override {
    std::lock_guard lock(mutex_);
    return users_.size();
  }
  storage::User create_user(std::string_view sip, const storage::UserProfile& profile, bool enabled,
                            std::string_view hash) override {
    std::lock_guard lock(mutex_);
    storage::User u;
    u.id = static_cast<std::int64_t>(users_.size()) + 1;
    u.sip_uri = std::string(sip);
    u.profile = profile;
    u.enabled = enabled;
    u.has_password = !hash.empty();
    users_[u.sip_uri] = u;
    hashes_[u.sip_uri] = std::string(hash);
    return u;
  }
  std::optional<storage::User> update_user(std::string_view sip, const storage::UserPatch& patch) override {
    std::lock_guard lock(mutex_);
    auto it = users_.find(std::string(sip));
    if (it == users_.end()) return std::nullopt;
    if (patch.enabled) it->second.enabled = *patch.enabled;
    return it->second;
  }
  bool remove_user(std::string_view sip) override {
    std::lock_guard lock(mutex_);
    std::erase_if(tokens_, [&](const auto& t) { return t.second.sip_uri == sip; });
    groups_.erase(std::string(sip));
    memberships_.erase(std::string(sip));
    photos_.erase(std::string(sip));
    std::erase_if(assignments_, [&](const auto& a) {
      return a.second.scope == "user" && a.second.key == sip;
    });
    hashes_.erase(std::string(sip));
    return users_.erase(std::string(sip)) > 0;
  }
  bool set_password_hash(std::string_view sip, std::string_view hash) override {
    std::lock_guard lock(mutex_);
    auto it = users_.find(std::string(sip));
    if (it == users_.end()) return false;
    it->second.has_password = !hash.empty();
    hashes_[std::string(sip)] = std::string(hash);
    ++password_updates_;
    return true;
  }
  std::optional<std::string> password_hash(std::string_view sip) override {
    std::lock_guard lock(mutex_);
    auto it = hashes_.find(std::string(sip));
    if (it == hashes_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<storage::ImportOutcome> import_users(const std::vector<ImportRow>&) override { return {}; }

  void insert_token(const storage::TokenRecord& t) override {
    std::lock_guard lock(mutex_);
    if (!users_.count(t.sip_uri)) throw std::runtime_error("token for an unknown user");
    tokens_[t.token_sha256] = t;
  }
  std::optional<storage::TokenRecord> find_token(std::string_view sha) override {
    ++find_token_calls;
    std::lock_guard lock(mutex_);
    auto it = tokens_.find(std::string(sha));
    if (it == tokens_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<storage::TokenRecord> list_tokens(std::string_view sip) override {
    std::lock_guard lock(mutex_);
    std::vector<storage::TokenRecord> out;
    for (const auto& [k, t] : tokens_)
      if (t.sip_uri == sip) out.push_back(t);
    return out;
  }
  std::size_t revoke_user_tokens(std::string_view sip) override {
    std::lock_guard lock(mutex_);
    return std::erase_if(tokens_, [&](const auto& t) { return t.second.sip_uri == sip; });
  }
  bool revoke_token(std::string_view sha) override {
    std::lock_guard lock(mutex_);
    return tokens_.erase(std::string(sha)) > 0;
  }
  std::size_t purge_expired_tokens(std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    ++purges_;
    return std::erase_if(tokens_, [&](const auto& t) { return t.second.expires_at_ms < now_ms; });
  }

  std::int64_t append_signin(const storage::SigninRecord& r) override {
    if (fail_signins) throw StoreError("fake store failure");
    std::lock_guard lock(mutex_);
    signins_.push_back(r);
    signins_.back().id = static_cast<std::int64_t>(signins_.size());
    return signins_.back().id;
  }
  std::vector<storage::SigninRecord> list_signins(const storage::SigninQuery&) override {
    std::lock_guard lock(mutex_);
    return {signins_.rbegin(), signins_.rend()};
  }

  // Address book, contact list and photos: just enough behaviour for code that touches them in
  // passing; the real rules (ranking, limits, validation) are tested against the SQLite store.
  std::vector<storage::User> search_directory(std::string_view query, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<storage::User> out;
    if (query.empty()) return out;
    for (const auto& [sip, u] : users_) {
      if (out.size() >= limit) break;
      if (u.enabled && (sip.starts_with(query) || u.profile.display_name.starts_with(query)))
        out.push_back(u);
    }
    return out;
  }
  std::vector<storage::ContactGroup> list_groups(std::string_view owner) override {
    std::lock_guard lock(mutex_);
    auto& groups = groups_[std::string(owner)];
    if (groups.empty()) {
      groups.push_back({next_group_id_++, "Favorites", "pinned"});
      groups.push_back({next_group_id_++, "Other Contacts", "default"});
    }
    return groups;
  }
  storage::ContactGroup create_group(std::string_view owner, std::string_view name) override {
    list_groups(owner);
    std::lock_guard lock(mutex_);
    auto& groups = groups_[std::string(owner)];
    for (const auto& g : groups)
      if (g.name == name) throw Conflict("group exists");
    groups.push_back({next_group_id_++, std::string(name), "user"});
    return groups.back();
  }
  bool rename_group(std::string_view owner, std::int64_t id, std::string_view name) override {
    std::lock_guard lock(mutex_);
    for (auto& g : groups_[std::string(owner)])
      if (g.id == id) {
        if (g.kind != "user") throw Forbidden("built-in group");
        g.name = std::string(name);
        return true;
      }
    return false;
  }
  bool remove_group(std::string_view owner, std::int64_t id) override {
    std::lock_guard lock(mutex_);
    auto& groups = groups_[std::string(owner)];
    for (const auto& g : groups)
      if (g.id == id && g.kind != "user") throw Forbidden("built-in group");
    auto& members = memberships_[std::string(owner)];
    std::erase_if(members, [&](const auto& m) { return m.group_id == id; });
    return std::erase_if(groups, [&](const auto& g) { return g.id == id; }) > 0;
  }
  std::vector<storage::GroupMembership> list_memberships(std::string_view owner) override {
    std::lock_guard lock(mutex_);
    auto out = memberships_[std::string(owner)];
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::tie(a.contact_uri, a.group_id) < std::tie(b.contact_uri, b.group_id);
    });
    return out;
  }
  bool add_membership(std::string_view owner, std::string_view contact, std::int64_t id) override {
    std::lock_guard lock(mutex_);
    const auto& groups = groups_[std::string(owner)];
    if (std::none_of(groups.begin(), groups.end(), [&](const auto& g) { return g.id == id; }))
      throw NotFound("no such group");
    auto& members = memberships_[std::string(owner)];
    for (const auto& m : members)
      if (m.contact_uri == contact && m.group_id == id) return false;
    members.push_back({std::string(contact), id, 0});
    return true;
  }
  bool remove_membership(std::string_view owner, std::string_view contact,
                         std::int64_t id) override {
    std::lock_guard lock(mutex_);
    return std::erase_if(memberships_[std::string(owner)], [&](const auto& m) {
             return m.contact_uri == contact && m.group_id == id;
           }) > 0;
  }
  std::size_t remove_contact(std::string_view owner, std::string_view contact) override {
    std::lock_guard lock(mutex_);
    return std::erase_if(memberships_[std::string(owner)],
                         [&](const auto& m) { return m.contact_uri == contact; });
  }
  std::optional<storage::Photo> find_photo(std::string_view sip) override {
    std::lock_guard lock(mutex_);
    auto it = photos_.find(std::string(sip));
    if (it == photos_.end()) return std::nullopt;
    return it->second;
  }
  void put_photo(std::string_view sip, const storage::Photo& photo) override {
    std::lock_guard lock(mutex_);
    if (!users_.count(std::string(sip))) throw NotFound("no such user");
    photos_[std::string(sip)] = photo;
  }
  bool remove_photo(std::string_view sip) override {
    std::lock_guard lock(mutex_);
    return photos_.erase(std::string(sip)) > 0;
  }

  // Policies, service configuration and audit: plain maps without the SQLite store's checks
  // (case folding, limits, users that must exist), which are tested against it.
  std::vector<storage::NamedPolicy> list_policies(std::string_view kind) override {
    std::lock_guard lock(mutex_);
    std::vector<storage::NamedPolicy> out;
    for (const auto& [k, p] : policies_)
      if (k.first == kind) out.push_back(p);
    return out;
  }
  std::optional<storage::NamedPolicy> find_policy(std::string_view kind,
                                                  std::string_view name) override {
    std::lock_guard lock(mutex_);
    auto it = policies_.find({std::string(kind), std::string(name)});
    if (it == policies_.end()) return std::nullopt;
    return it->second;
  }
  void put_policy(const storage::NamedPolicy& policy, bool create_only,
                  const storage::AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    const std::pair key{policy.kind, policy.name};
    if (create_only && policies_.count(key)) throw Conflict("policy exists");
    policies_[key] = policy;
    audit_locked(audit);
  }
  bool remove_policy(std::string_view kind, std::string_view name,
                     const storage::AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    if (name == "global") throw Forbidden("the global policy cannot be removed");
    if (policies_.erase({std::string(kind), std::string(name)}) == 0) return false;
    std::erase_if(assignments_, [&](const auto& a) {
      return a.second.kind == kind && a.second.name == name;
    });
    audit_locked(audit);
    return true;
  }
  void assign_policy(const storage::PolicyAssignment& a,
                     const storage::AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    const std::tuple key{a.scope, a.key, a.kind};
    if (a.name.empty()) {
      if (assignments_.erase(key) == 0) return;
    } else {
      if (a.name == "global") throw Forbidden("the global policy cannot be assigned");
      if (!policies_.count({a.kind, a.name})) throw NotFound("no such policy");
      assignments_[key] = a;
    }
    audit_locked(audit);
  }
  std::vector<storage::PolicyAssignment> list_assignments(std::string_view kind) override {
    std::lock_guard lock(mutex_);
    std::vector<storage::PolicyAssignment> out;
    for (const auto& [k, a] : assignments_)
      if (a.kind == kind) out.push_back(a);
    return out;
  }
  std::optional<std::string> get_service_config(std::string_view kind,
                                                std::string_view scope) override {
    std::lock_guard lock(mutex_);
    auto it = config_.find({std::string(kind), std::string(scope)});
    if (it == config_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::pair<std::string, std::string>> list_service_config(
      std::string_view kind) override {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, settings] : config_)
      if (k.first == kind) out.emplace_back(k.second, settings);
    return out;
  }
  void put_service_config(std::string_view kind, std::string_view scope, std::string_view settings,
                          const storage::AuditRecord& audit) override {
    std::lock_guard lock(mutex_);
    const std::pair key{std::string(kind), std::string(scope)};
    if (settings.empty()) {
      if (config_.erase(key) == 0) return;
    } else {
      config_[key] = std::string(settings);
    }
    audit_locked(audit);
  }
  std::int64_t append_audit(const storage::AuditRecord& record) override {
    std::lock_guard lock(mutex_);
    return audit_locked(record);
  }
  std::vector<storage::AuditRecord> list_audit(std::int64_t before_id, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<storage::AuditRecord> out;
    for (auto it = audit_.rbegin(); it != audit_.rend() && out.size() < limit; ++it)
      if (before_id == 0 || it->id < before_id) out.push_back(*it);
    return out;
  }

  // Messaging is not exercised by the auth tests.
  void create_conversation(const storage::ConversationRecord&,
                           const std::vector<std::string>&) override {
    not_used();
  }
  void add_participant(std::string_view, std::string_view) override { not_used(); }
  std::vector<std::int64_t> append_messages(const std::vector<storage::MessageRecord>&) override {
    not_used();
  }
  void finish_call(std::string_view, std::string_view, std::int64_t, std::int64_t) override {
    not_used();
  }
  bool mark_missed(std::string_view, std::string_view) override { not_used(); }
  std::vector<storage::ConversationLogRecord> list_conversation_logs(
      std::string_view, const std::optional<LogCursor>&, std::size_t) override {
    not_used();
  }
  std::optional<storage::ConversationLogRecord> find_conversation_log(std::string_view,
                                                                      std::string_view) override {
    not_used();
  }
  std::vector<storage::MessageRecord> list_messages(std::string_view, std::int64_t,
                                                    std::size_t) override {
    not_used();
  }
  bool mark_log_read(std::string_view, std::string_view) override { not_used(); }
  bool delete_conversation_log(std::string_view, std::string_view) override { not_used(); }
  storage::MissedCounts missed_counts(std::string_view) override { not_used(); }
  std::size_t purge_messages_before(std::int64_t) override { not_used(); }

  // Nor are push registrations.
  storage::PushRegistration put_push_registration(const storage::PushRegistration&) override {
    not_used();
  }
  std::optional<storage::PushRegistration> find_push_registration(std::string_view) override {
    not_used();
  }
  std::optional<storage::PushRegistration> find_push_registration_of(std::string_view,
                                                                     std::string_view) override {
    not_used();
  }
  std::vector<storage::PushRegistration> list_push_registrations(std::string_view) override {
    not_used();
  }
  bool delete_push_registration(std::string_view) override { not_used(); }
  bool record_push_attempt(std::string_view, std::int64_t, bool, std::int64_t,
                           std::string_view) override {
    not_used();
  }

  std::optional<std::string> get_setting(std::string_view) override { return std::nullopt; }
  void put_setting(std::string_view, std::string_view) override {}
  int schema_version() override { return 2; }

  // Test helpers.
  std::size_t token_count() {
    std::lock_guard lock(mutex_);
    return tokens_.size();
  }
  std::vector<storage::SigninRecord> signins() {
    std::lock_guard lock(mutex_);
    return signins_;
  }
  int purges() {
    std::lock_guard lock(mutex_);
    return purges_;
  }
  int password_updates() {
    std::lock_guard lock(mutex_);
    return password_updates_;
  }

private:
  [[noreturn]] static void not_used() { throw std::logic_error("not used in these tests"); }

  std::int64_t audit_locked(storage::AuditRecord record) {
    record.id = static_cast<std::int64_t>(audit_.size()) + 1;
    audit_.push_back(std::move(record));
    return audit_.back().id;
  }

  std::mutex mutex_;
  std::map<std::string, storage::User> users_;
  std::map<std::string, std::string> hashes_;
  std::map<std::string, storage::TokenRecord> tokens_;
  std::vector<storage::SigninRecord> signins_;
  std::map<std::string, std::vector<storage::ContactGroup>> groups_;
  std::map<std::string, std::vector<storage::GroupMembership>> memberships_;
  std::map<std::string, storage::Photo> photos_;
  std::map<std::pair<std::string, std::string>, storage::NamedPolicy> policies_{
      {{"mobility", "global"}, {"mobility", "global", "{}", 0}}};
  std::map<std::tuple<std::string, std::string, std::string>, storage::PolicyAssignment>
      assignments_;
  std::map<std::pair<std::string, std::string>, std::string> config_;
  std::vector<storage::AuditRecord> audit_;
  std::int64_t next_group_id_ = 1;
  int purges_ = 0;
  int password_updates_ = 0;
};

}  // namespace parley::auth::testing
