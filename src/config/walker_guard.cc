// The walker's connection-guard settings: accept-rate and deny keys of `limits:`, the
// slow-client rate floors, the `overload:` section, and the IP matches they hold
// (inline prefixes and "$name" references to `lists:`).

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kOverloadKeys = {"max_event_loop_lag", "max_connections", "max_memory", "allow",
                            "allow_headroom",     "retry_after"};

// Inline prefixes in one guard setting: the named lists are where long lists belong.
constexpr size_t kMaxGuardEntries = 10'000;

}  // namespace

void Walker::guard_limit(std::string_view key, const At& v) {
  Limits& l = cfg_.limits;
  if (key == "accept_rate_per_ip") {
    if (auto n = integer(v, 0, 1'000'000)) l.accept_rate_per_ip = static_cast<uint32_t>(*n);
  } else if (key == "accept_burst_per_ip") {
    if (auto n = integer(v, 1, 10'000'000)) l.accept_burst_per_ip = static_cast<uint32_t>(*n);
  } else if (key == "deny") {
    ip_match(v, l.deny);
  } else if (key == "min_request_rate") {
    if (auto n = integer(v, 0, 1'000'000'000)) l.min_request_rate = static_cast<uint32_t>(*n);
  } else if (key == "min_send_rate") {
    if (auto n = integer(v, 0, 1'000'000'000)) l.min_send_rate = static_cast<uint32_t>(*n);
  } else if (key == "min_rate_window") {
    if (auto d = duration_in(v, Millis(100), Millis(3'600'000))) l.min_rate_window = *d;
  }
}

void Walker::overload(const At& at) {
  Overload& o = cfg_.overload;
  fields(at, kOverloadKeys, "", [&](std::string_view key, const At& v) {
    if (key == "max_event_loop_lag") {
      if (auto d = duration_in(v, Millis(0), Millis(60'000))) o.max_event_loop_lag = *d;
    } else if (key == "max_connections") {
      if (auto n = integer(v, 0, 10'000'000)) {
        o.max_connections = static_cast<uint32_t>(*n);
        overload_max_connections_at_ = v;
      }
    } else if (key == "max_memory") {
      // 0 switches it off; anything else below a few MiB would shed from the start.
      if (auto n = size(v, 0, uint64_t{1} << 40)) {
        if (*n != 0 && *n < (uint64_t{1} << 20)) {
          error(v,
                quote(v.node.Scalar()) + " is out of range (0 to switch off, else 1MiB to 1TiB)");
        } else {
          o.max_memory = *n;
        }
      }
    } else if (key == "allow") {
      ip_match(v, o.allow);
    } else if (key == "allow_headroom") {
      if (auto p = percent(v, 1000)) o.allow_headroom_percent = *p;
    } else if (key == "retry_after") {
      if (auto d = duration_in(v, Millis(1'000), Millis(3'600'000))) o.retry_after = *d;
    }
  });
}

void Walker::check_overload_limits() {
  uint32_t high_water = cfg_.overload.max_connections;
  uint32_t cap = cfg_.limits.max_connections;
  if (overload_max_connections_at_ && high_water != 0 && high_water >= cap) {
    error(*overload_max_connections_at_,
          "must be below limits.max_connections (" + std::to_string(cap) +
              "), which refuses connections before shedding would start");
  }
}

void Walker::ip_match(const At& at, IpMatch& out) {
  PendingIpMatch pending{&out, {}, {}};
  items(at, kMaxGuardEntries, "entries", [&](const At& item, size_t) {
    auto s = string(item);
    if (!s) return;
    if (!s->empty() && (*s)[0] == '$') {
      std::string name = s->substr(1);
      if (!is_label(name)) {
        error(item, quote(*s) + " is not a list reference ($ and a list name)");
        return;
      }
      pending.names.emplace_back(std::move(name), item);
      return;
    }
    auto cidr = core::Cidr::parse(*s);
    if (!cidr) {
      error(item, quote(*s) +
                      " is not an IP address, CIDR prefix (10.0.0.0/8) or list reference ($name)");
      return;
    }
    pending.cidrs.push_back(*cidr);
  });
  pending_ip_matches_.push_back(std::move(pending));
}

void Walker::resolve_ip_matches() {
  for (PendingIpMatch& pending : pending_ip_matches_) {
    core::IpRangeSet::Builder builder;
    for (const core::Cidr& cidr : pending.cidrs) builder.add(cidr);
    for (auto& [name, item] : pending.names) {
      auto found = cfg_.lists.find(name);
      if (found == cfg_.lists.end()) {
        std::vector<std::string_view> known;
        for (const auto& [n, list] : cfg_.lists) known.push_back(n);
        std::string hint = closest_match(name, known);
        error(item, "no list named " + quote(name) + " in lists:" +
                        (hint.empty() ? "" : " (did you mean " + quote(hint) + "?)"));
        continue;
      }
      if (found->second.ips) builder.add_set(*found->second.ips);
      pending.out->lists.push_back(name);
    }
    if (builder.size() > 0) {
      pending.out->set = std::make_shared<const core::IpRangeSet>(std::move(builder).build());
    }
  }
  pending_ip_matches_.clear();
}

}  // namespace rampart::config::detail
