#pragma once
// The admin API's view of origin pools: GET /origins (every pool and endpoint with its
// health, ejection and operator state), the operator's drain / disable / enable, and
// the per-endpoint lines of /metrics.

#include <string>
#include <string_view>

#include "admin/admin_server.h"
#include "proxy/origin_set.h"

namespace rampart::admin {

std::string origins_json(const proxy::OriginSet& origins);

// POST /origins/<pool>/<endpoint>/<drain|disable|enable>; `rest` is the part after
// "/origins/". The caller has checked the token.
AdminResponse origin_action(const proxy::OriginSet& origins, std::string_view rest);

void render_origin_metrics(const proxy::OriginSet& origins, std::string& out);

}  // namespace rampart::admin
