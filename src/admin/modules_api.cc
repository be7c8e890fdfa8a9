#include "admin/modules_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "core/log.h"
#include "pipeline/kill_switches.h"
#include "server/error_page.h"

namespace rampart::admin {

namespace {

std::string quoted(std::string_view value) {
  std::string out = "\"";
  server::append_json_escaped(out, value);
  out.push_back('"');
  return out;
}

bool contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string modules_json(const pipeline::Pipeline& pipeline, std::string_view config_version) {
  pipeline::KillSwitches& switches = pipeline::kill_switches();
  std::vector<pipeline::ModuleStats> stats = pipeline.stats();
  std::vector<std::string_view> config_off = pipeline.disabled_by_config();
  std::string out = fmt::format("{{\"config_version\":{},\"modules\":[", quoted(config_version));
  bool first = true;
  for (std::string_view name : switches.names()) {
    auto slot = switches.find(name);
    auto built = std::find_if(stats.begin(), stats.end(),
                              [&](const pipeline::ModuleStats& m) { return m.name == name; });
    bool by_config = contains(config_off, name);
    bool killed = switches.off(*slot);
    // "state": what requests see now. A module the config does not use ("unused") has
    // nothing to do, switched off or not.
    std::string_view state = by_config              ? "disabled_by_config"
                             : killed               ? "disabled"
                             : built != stats.end() ? "enabled"
                                                    : "unused";
    if (!first) out.push_back(',');
    first = false;
    fmt::format_to(std::back_inserter(out),
                   "{{\"name\":{},\"state\":\"{}\",\"config_enabled\":{},\"runtime_enabled\":{},"
                   "\"failures\":{},\"fail_mode\":\"{}\",\"skipped\":{{",
                   quoted(name), state, by_config ? "false" : "true", killed ? "false" : "true",
                   built != stats.end() ? built->failures : 0,
                   built != stats.end() && built->fail_closed ? "closed" : "open");
    for (size_t r = 0; r < pipeline::kSkipReasonNames.size(); ++r) {
      fmt::format_to(std::back_inserter(out), "{}\"{}\":{}", r == 0 ? "" : ",",
                     pipeline::kSkipReasonNames[r],
                     switches.skips(*slot, static_cast<pipeline::SkipReason>(r)));
    }
    out.append("}}");
  }
  out.append("]}\n");
  return out;
}

AdminResponse module_action(std::string_view rest) {
  AdminResponse response;
  size_t slash = rest.rfind('/');
  std::string_view name = slash == std::string_view::npos ? rest : rest.substr(0, slash);
  std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (action != "disable" && action != "enable") {
    response.status = 404;
    response.body = "{\"error\":\"use POST /modules/<name>/disable or /enable\"}\n";
    return response;
  }
  bool off = action == "disable";
  bool changed = false;
  if (!pipeline::kill_switches().set_off(name, off, &changed)) {
    response.status = 404;
    response.body = fmt::format("{{\"error\":\"unknown module\",\"module\":{}}}\n", quoted(name));
    return response;
  }
  if (changed) {
    core::log(core::LogLevel::kWarn, "module {} {} by the admin API (kill switch)", name,
              off ? "switched off" : "switched on");
  }
  response.body =
      fmt::format("{{\"ok\":true,\"module\":{},\"runtime_enabled\":{},\"changed\":{}}}\n",
                  quoted(name), off ? "false" : "true", changed ? "true" : "false");
  return response;
}

void render_module_metrics(const pipeline::Pipeline& pipeline, std::string_view config_version,
                           std::string& out) {
  auto it = std::back_inserter(out);
  std::string version = quoted(config_version);  // a label: the same escaping as JSON
  fmt::format_to(it,
                 "# HELP rampart_module_failures_total Module failures (errors or throws), by "
                 "the config version that ran them.\n"
                 "# TYPE rampart_module_failures_total counter\n");
  for (const pipeline::ModuleStats& m : pipeline.stats()) {
    fmt::format_to(it, "rampart_module_failures_total{{module=\"{}\",config_version={}}} {}\n",
                   m.name, version, m.failures);
  }
  pipeline::KillSwitches& switches = pipeline::kill_switches();
  fmt::format_to(it,
                 "# HELP rampart_module_skipped_total Requests a module did not run for: "
                 "switched off at runtime (admin), in the config (config), or by a rule (rule).\n"
                 "# TYPE rampart_module_skipped_total counter\n");
  for (std::string_view name : switches.names()) {
    uint32_t slot = *switches.find(name);
    for (size_t r = 0; r < pipeline::kSkipReasonNames.size(); ++r) {
      fmt::format_to(it, "rampart_module_skipped_total{{module=\"{}\",reason=\"{}\"}} {}\n", name,
                     pipeline::kSkipReasonNames[r],
                     switches.skips(slot, static_cast<pipeline::SkipReason>(r)));
    }
  }
  fmt::format_to(it,
                 "# HELP rampart_module_enabled Whether the module runs (0: a kill switch is "
                 "on).\n"
                 "# TYPE rampart_module_enabled gauge\n");
  std::vector<std::string_view> config_off = pipeline.disabled_by_config();
  for (std::string_view name : switches.names()) {
    bool on = !switches.off(*switches.find(name)) && !contains(config_off, name);
    fmt::format_to(it, "rampart_module_enabled{{module=\"{}\"}} {}\n", name, on ? 1 : 0);
  }
}

}  // namespace rampart::admin
