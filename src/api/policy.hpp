#pragma once
// How the `policies` resource (UCWA.md §5.9) shows a user's effective mobility policy
// (policy/policy.hpp).

#include "policy/policy.hpp"

#include <boost/json/object.hpp>

namespace parley::api {

// The `policies` resource's properties (GenericPolicy strings "Enabled"/"Disabled").
boost::json::object policies_properties(const policy::MobilityPolicy& p);

}  // namespace parley::api
