#pragma once
// The admin API's kill switches: GET /modules (every module: whether the config runs
// it, whether it is switched off at runtime, its failures and skips), POST
// /modules/<name>/<disable|enable>, and the module lines of /metrics.

#include <string>
#include <string_view>

#include "admin/admin_server.h"
#include "pipeline/pipeline.h"

namespace rampart::admin {

std::string modules_json(const pipeline::Pipeline& pipeline, std::string_view config_version);

// POST /modules/<name>/<disable|enable>; `rest` is the part after "/modules/". The
// caller has checked the token.
AdminResponse module_action(std::string_view rest);

// rampart_module_failures_total{module,config_version} and
// rampart_module_skipped_total{module,reason}.
void render_module_metrics(const pipeline::Pipeline& pipeline, std::string_view config_version,
                           std::string& out);

}  // namespace rampart::admin
