#include "admin/cache_api.h"

#include <fmt/format.h>

#include <optional>
#include <string>

#include "cache/cache_key.h"
#include "core/hex.h"

namespace rampart::admin {

namespace {

using core::hex_value;

// A query parameter's value, percent-decoded ('+' is a space); nullopt when absent or
// badly encoded.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out.push_back(' ');
      } else if (raw[i] == '%') {
        if (i + 2 >= raw.size() || hex_value(raw[i + 1]) < 0 || hex_value(raw[i + 2]) < 0) {
          return std::nullopt;
        }
        out.push_back(static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2])));
        i += 2;
      } else {
        out.push_back(raw[i]);
      }
    }
    return out;
  }
  return std::nullopt;
}

AdminResponse answer(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

AdminResponse purge_cache(cache::TieredStore& store, std::string_view query) {
  size_t purged = 0;
  if (auto url = query_param(query, "url")) {
    auto key = cache::key_of_url(*url);
    if (!key) return answer(400, "{\"error\":\"url= needs a host and a path\"}\n");
    purged = store.purge_if([&](std::string_view k) { return cache::is_key_or_variant(k, *key); });
  } else if (auto prefix = query_param(query, "prefix")) {
    auto key = cache::key_of_url(*prefix);
    if (!key) return answer(400, "{\"error\":\"prefix= needs a host and a path\"}\n");
    purged = store.purge_if([&](std::string_view k) { return k.starts_with(*key); });
  } else if (auto host = query_param(query, "host")) {
    std::string h = cache::lower_host(*host);
    purged = store.purge_if([&](std::string_view k) { return cache::host_of_key(k) == h; });
  } else if (auto tag = query_param(query, "tag")) {
    purged = store.purge_tag(*tag);
  } else if (query_param(query, "all") == std::optional<std::string>("1")) {
    purged = store.purge_all();
  } else {
    return answer(400, "{\"error\":\"give one of url=, prefix=, host=, tag= or all=1\"}\n");
  }
  return answer(200, fmt::format("{{\"purged\":{}}}\n", purged));
}

void render_cache_metrics(cache::TieredStore& store, std::string& out) {
  auto it = std::back_inserter(out);
  auto line = [&](std::string_view name, std::string_view type, std::string_view help,
                  std::string_view tier, uint64_t value) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n{}{{tier=\"{}\"}} {}\n", name, help, name, type,
                   name, tier, value);
  };
  cache::MemoryStoreStats m = store.memory().stats();
  line("rampart_cache_objects", "gauge", "Objects held by the memory cache tier.", "memory",
       m.objects);
  line("rampart_cache_bytes", "gauge", "Bytes charged to the memory cache tier's budget.", "memory",
       m.bytes);
  line("rampart_cache_evictions_total", "counter", "Objects evicted to keep the budget.", "memory",
       m.evictions);
  line("rampart_cache_rejected_total", "counter", "Objects too big for the tier.", "memory",
       m.rejected);
  cache::DiskStore* disk = store.disk();
  if (disk == nullptr) return;
  cache::DiskStoreStats d = disk->stats();
  line("rampart_cache_disk_objects", "gauge", "Objects held by the disk cache tier.", "disk",
       d.objects);
  line("rampart_cache_disk_bytes", "gauge", "Bytes of the disk tier's files (4 KiB blocks).",
       "disk", d.bytes);
  line("rampart_cache_disk_writes_total", "counter", "Objects written to the disk tier.", "disk",
       d.writes);
  line("rampart_cache_disk_write_errors_total", "counter",
       "Failed disk writes (each pauses storing for a while).", "disk", d.write_errors);
  line("rampart_cache_disk_dropped_total", "counter",
       "Objects not written: queue full, storing paused or purged while queued.", "disk",
       d.dropped);
  line("rampart_cache_disk_corrupt_total", "counter",
       "Files that failed verification and were removed (never served).", "disk", d.corrupt);
  line("rampart_cache_disk_storing", "gauge", "1 while the disk tier stores, 0 while paused.",
       "disk", d.storing ? 1 : 0);
}

}  // namespace rampart::admin
