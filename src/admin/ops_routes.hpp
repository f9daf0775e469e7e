#pragma once
// Operations endpoints on the internal site: GET /health (liveness and a store round trip) and
// GET /metrics (Prometheus text format). Never registered on the external site.

#include "http/router.hpp"
#include "runtime/blocking_pool.hpp"
#include "runtime/metrics.hpp"
#include "storage/store.hpp"

namespace parley::admin {

void register_ops_routes(http::Router& internal, storage::Store& store, runtime::BlockingPool& pool,
                         runtime::Metrics& metrics);

}  // namespace parley::admin
