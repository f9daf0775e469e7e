#pragma once
// Builders for the policy and audit tests (designated initialisers would trip
// -Wmissing-field-initializers).

#include <cstdint>
#include <string>
#include <utility>

#include "storage/store.hpp"

namespace parley::storage::test {

inline AuditRecord audit_of(std::string action, std::string target, std::string new_value = "",
                            std::string old_value = "", std::int64_t at_ms = 0) {
  AuditRecord r;
  r.at_ms = at_ms;
  r.actor = "admin";
  r.action = std::move(action);
  r.target = std::move(target);
  r.old_value = std::move(old_value);
  r.new_value = std::move(new_value);
  return r;
}

inline NamedPolicy policy_of(std::string name, std::string settings,
                             std::string kind = "mobility") {
  NamedPolicy p;
  p.kind = std::move(kind);
  p.name = std::move(name);
  p.settings = std::move(settings);
  return p;
}

inline PolicyAssignment assignment_of(std::string scope, std::string key, std::string name,
                                      std::string kind = "mobility") {
  PolicyAssignment a;
  a.scope = std::move(scope);
  a.key = std::move(key);
  a.kind = std::move(kind);
  a.name = std::move(name);
  return a;
}

}  // namespace parley::storage::test
