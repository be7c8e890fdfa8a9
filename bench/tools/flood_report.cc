#include "flood_report.h"

#include <algorithm>
#include <cstdio>

namespace rampart_flood {

std::string report_json(const std::vector<ClassReport>& classes, double elapsed_s) {
  std::string out = "{\"classes\":{";
  for (size_t i = 0; i < classes.size(); ++i) {
    const ClassStats& st = *classes[i].stats;
    if (i) out += ",";
    out += "\"" + std::string(classes[i].name) + "\":{\"sent\":" + std::to_string(st.sent);
    out += ",\"connections\":" + std::to_string(st.connections) + ",\"status\":{";
    bool first = true;
    for (const auto& [k, v] : st.statuses) {
      out += (first ? "\"" : ",\"") + k + "\":" + std::to_string(v);
      first = false;
    }
    std::vector<uint32_t> lat = st.latency_us;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
      if (lat.empty()) return 0.0;
      size_t idx = std::min(lat.size() - 1, static_cast<size_t>(p * (lat.size() - 1) + 0.5));
      return lat[idx] / 1000.0;
    };
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "},\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}",
                  pct(0.5), pct(0.9), pct(0.99), pct(1.0));
    out += buf;
    out += ",\"timeline\":[";
    size_t last = 0;
    for (size_t b = 0; b < st.timeline.size(); ++b) {
      const Bucket& k = st.timeline[b];
      if (k.sent || k.ok || k.forbidden || k.other || k.error) last = b + 1;
    }
    for (size_t b = 0; b < last; ++b) {
      const Bucket& k = st.timeline[b];
      std::snprintf(buf, sizeof buf, "%s[%ld,%ld,%ld,%ld,%ld]", b ? "," : "", k.sent, k.ok,
                    k.forbidden, k.other, k.error);
      out += buf;
    }
    out += "]}";
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "},\"elapsed_s\":%.3f}\n", elapsed_s);
  out += buf;
  return out;
}

}  // namespace rampart_flood
