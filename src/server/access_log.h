#pragma once
// One JSON object per request, appended to the access log by a background writer.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pipeline/request_context.h"

namespace rampart::server {

struct AccessRecord {
  std::string_view request_id;
  std::string_view client_ip;
  std::string_view host;
  std::string_view method;
  std::string_view path;
  std::string_view protocol;  // "HTTP/1.1", "HTTP/2"
  bool tls = false;
  std::string_view ja4;  // the TLS client's fingerprint
  int status = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string_view upstream;  // "ip:port" or empty
  std::string_view pool;      // the origin pool, or empty
  std::string_view cache;     // "hit", "miss" or empty
  uint32_t tries = 0;         // origin tries: 1 + retries (0: none)
  double upstream_ms = -1;    // < 0: no upstream involved
  double total_ms = 0;
  std::string_view config_version;
  std::string_view site;
  std::span<const pipeline::VerdictRecord> verdicts;
  std::span<const std::string_view> rules;            // ids of the rules that matched
  std::span<const pipeline::LogField> module_fields;  // e.g. "waf": {...}
  std::string_view error;                             // why rampart answered itself, if it did
};

void format_access_line(std::string& out, const AccessRecord& record);

}  // namespace rampart::server
