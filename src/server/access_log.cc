#include "server/access_log.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>

#include "server/error_page.h"

namespace rampart::server {

namespace {

void field(std::string& out, std::string_view name, std::string_view value) {
  out.push_back('"');
  out.append(name);
  out.append("\":\"");
  append_json_escaped(out, value);
  out.append("\",");
}

// Formatting the date is the costly part of a log line; cache it per second per thread.
void append_time(std::string& out) {
  using namespace std::chrono;
  thread_local int64_t cached_second = -1;
  thread_local char cached[32];
  auto now = system_clock::now();
  int64_t ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  int64_t second = ms / 1000;
  if (second != cached_second) {
    std::time_t t = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = second;
  }
  fmt::format_to(std::back_inserter(out), "\"time\":\"{}.{:03}Z\",", cached, ms % 1000);
}

}  // namespace

void format_access_line(std::string& out, const AccessRecord& r) {
  out.push_back('{');
  append_time(out);
  field(out, "request_id", r.request_id);
  field(out, "client_ip", r.client_ip);
  field(out, "host", r.host);
  field(out, "method", r.method);
  field(out, "path", r.path);
  field(out, "protocol", r.protocol);
  auto it = std::back_inserter(out);
  if (r.tls) {
    out.append("\"tls\":true,");
    field(out, "ja4", r.ja4);
  }
  fmt::format_to(it, "\"status\":{},\"bytes_in\":{},\"bytes_out\":{},", r.status, r.bytes_in,
                 r.bytes_out);
  field(out, "upstream", r.upstream);
  if (!r.cache.empty()) field(out, "cache", r.cache);
  if (!r.pool.empty()) {
    field(out, "pool", r.pool);
    fmt::format_to(it, "\"tries\":{},", r.tries);
  }
  if (r.upstream_ms >= 0) {
    fmt::format_to(it, "\"upstream_ms\":{:.3f},", r.upstream_ms);
  } else {
    out.append("\"upstream_ms\":null,");
  }
  fmt::format_to(it, "\"total_ms\":{:.3f},", r.total_ms);
  field(out, "config_version", r.config_version);
  field(out, "site", r.site);
  if (!r.error.empty()) field(out, "error", r.error);
  out.append("\"verdicts\":{");
  bool first = true;
  for (const pipeline::VerdictRecord& v : r.verdicts) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    append_json_escaped(out, v.module);
    out.append("\":\"");
    append_json_escaped(out, v.verdict);
    out.push_back('"');
  }
  out.push_back('}');
  if (!r.rules.empty()) {
    out.append(",\"rules\":[");
    for (size_t i = 0; i < r.rules.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.push_back('"');
      append_json_escaped(out, r.rules[i]);
      out.push_back('"');
    }
    out.push_back(']');
  }
  for (const pipeline::LogField& f : r.module_fields) {
    out.append(",\"");
    append_json_escaped(out, f.key);
    out.append("\":");
    out.append(f.json);
  }
  out.append("}\n");
}

}  // namespace rampart::server
