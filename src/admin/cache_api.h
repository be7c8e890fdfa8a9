#pragma once
// The admin API's cache purge: POST /cache/purge with one of url=, prefix=, host=,
// tag= or all=1 in the query. The caller has checked the token.

#include <string_view>

#include "admin/admin_server.h"
#include "cache/tiered_store.h"

namespace rampart::admin {

AdminResponse purge_cache(cache::TieredStore& store, std::string_view query);

// The cache tiers' gauges and counters in the Prometheus text format.
void render_cache_metrics(cache::TieredStore& store, std::string& out);

}  // namespace rampart::admin
