#pragma once
// The policies and service configuration in force, held in memory for the request path and
// changed only through here, so that every change is validated, stored with its audit record,
// and then announced to whoever applies it to live sessions (the UCWA engine, discovery, the
// web-ticket service).
//
// Reads are lock-free snapshots (an immutable State behind an atomic shared_ptr); changes are
// serialised and run on the caller's thread, which must be a worker thread (they call the store).

#include "common/config.hpp"
#include "policy/policy.hpp"
#include "storage/store.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::policy {

class PolicyService {
public:
  // Loads everything from the store. The TOML configuration gives the global service-config
  // values that the store does not override ([mobility] intervals, [discovery] exposed_web_url,
  // [webticket] token lifetime).
  PolicyService(storage::Store& store, const Config& config);
  ~PolicyService();

  // ---- reads (any thread, no store access) ----
  // The effective mobility policy of a user whose directory site is `site` (may be empty).
  Resolved effective(Kind kind, std::string_view user, std::string_view site) const;
  MobilityPolicy mobility(std::string_view user, std::string_view site) const;
  McxConfig mcx(std::string_view site) const;
  PushConfig push(std::string_view site) const;
  WebServiceConfig webservice(std::string_view site) const;

  std::vector<storage::NamedPolicy> policies(Kind kind) const;  // "global" first, then by name
  std::optional<storage::NamedPolicy> policy(Kind kind, std::string_view name) const;
  std::vector<storage::PolicyAssignment> assignments(Kind kind) const;
  // The settings stored at a service-config scope ("global" or "site:<name>"), possibly empty.
  boost::json::object service_config(Kind kind, std::string_view scope) const;

  // ---- changes (worker thread; each validates, stores with audit, reloads, notifies) ----
  // Throw ParameterValidationFailure / Conflict / NotFound / Forbidden; a refused change changes
  // nothing. `actor` goes to the audit record.
  void create_policy(Kind kind, std::string_view name, const boost::json::object& settings,
                     std::string_view actor);
  // Merges `settings` into the policy's ("global" always exists); a JSON null removes a setting.
  void set_policy(Kind kind, std::string_view name, const boost::json::object& settings,
                  std::string_view actor);
  void remove_policy(Kind kind, std::string_view name, std::string_view actor);
  // scope "site" or "user"; empty `name` removes the assignment.
  void grant(Kind kind, std::string_view scope, std::string_view key, std::string_view name,
             std::string_view actor);
  // Service configuration (mcx, push, webservice) at "global" or "site:<name>"; merges like
  // set_policy. The merged result must be consistent (check_consistent) at that scope and at
  // every site scope it affects.
  void set_service_config(Kind kind, std::string_view scope, const boost::json::object& settings,
                          std::string_view actor);

  // Called after every successful change, on the changing thread, with the kind changed.
  void on_change(std::function<void(Kind)> listener);

  struct State;

private:
  void reload();
  void notify(Kind kind);
  storage::Store& store_;
  const Config& config_;
  std::mutex change_mutex_;
  std::shared_ptr<const State> state_;  // accessed with std::atomic_load/store
  std::vector<std::function<void(Kind)>> listeners_;
};

}  // namespace parley::policy
