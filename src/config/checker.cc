// Cross-field checks: each value was already checked on its own by the walker; these
// compare values with each other.

#include <string>
#include <unordered_map>

#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "core/ip.h"

namespace rampart::config::detail {
namespace {

std::string at_line(Pos pos) {
  if (pos.line <= 0) return "";
  return " (line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ")";
}

bool is_unspecified(const core::IpAddress& ip) {
  if (ip.v4)
    return ip.bytes[12] == 0 && ip.bytes[13] == 0 && ip.bytes[14] == 0 && ip.bytes[15] == 0;
  for (uint8_t b : ip.bytes) {
    if (b != 0) return false;
  }
  return true;
}

enum class Clash { kNone, kSame, kOverlap };

// Two sockets clash when they are the same address, or when one is the wildcard of the
// same family on the same port: with SO_REUSEPORT both binds would succeed and split
// the connections between them at random.
Clash clash(const HostPort& a, const HostPort& b) {
  if (a.port != b.port) return Clash::kNone;
  auto ia = core::IpAddress::parse(a.host);
  auto ib = core::IpAddress::parse(b.host);
  if (!ia || !ib) return a.host == b.host ? Clash::kSame : Clash::kNone;
  if (*ia == *ib) return Clash::kSame;
  if (ia->v4 != ib->v4) return Clash::kNone;
  if (is_unspecified(*ia) || is_unspecified(*ib)) return Clash::kOverlap;
  return Clash::kNone;
}

void check_listeners(const Config& config, const SourceMap& where, Diagnostics& diags) {
  const auto& ls = config.listeners;
  std::unordered_map<std::string, size_t> names;
  for (size_t i = 0; i < ls.size() && !diags.stopped(); ++i) {
    auto [it, inserted] = names.emplace(ls[i].name, i);
    if (!inserted) {
      diags.error(where.listeners[i].name, "listeners[" + std::to_string(i) + "].name: \"" +
                                               ls[i].name + "\" is already the name of listeners[" +
                                               std::to_string(it->second) + "]" +
                                               at_line(where.listeners[it->second].name));
    }
    for (size_t j = 0; j < i; ++j) {
      Clash c = clash(ls[j].address, ls[i].address);
      if (c == Clash::kNone) continue;
      std::string msg =
          "listeners[" + std::to_string(i) + "].address: " + ls[i].address.to_string();
      if (c == Clash::kSame) {
        msg += " is already used by listener \"" + ls[j].name + "\"";
      } else {
        msg += " overlaps listener \"" + ls[j].name + "\" on " + ls[j].address.to_string() +
               ": a wildcard address takes the port on every interface";
      }
      diags.error(where.listeners[i].address, msg + at_line(where.listeners[j].address));
      break;
    }
  }
  // A refused admin address already has its error; the default it left is not real.
  if (!config.admin.enabled || where.admin_address_invalid) return;
  for (size_t i = 0; i < ls.size() && !diags.stopped(); ++i) {
    Clash c = clash(config.admin.address, ls[i].address);
    if (c == Clash::kNone) continue;
    std::string how = c == Clash::kSame ? " is the same as " : " overlaps ";
    if (where.admin_address) {
      diags.error(*where.admin_address, "admin.address: " + config.admin.address.to_string() + how +
                                            "the address of listener \"" + ls[i].name + "\"" +
                                            at_line(where.listeners[i].address));
    } else {
      diags.error(where.listeners[i].address,
                  "listeners[" + std::to_string(i) + "].address: " + ls[i].address.to_string() +
                      how + "the admin address " + config.admin.address.to_string() +
                      " (the default; set admin.address or admin.enabled: false)");
    }
    break;  // one report says it; more would repeat it
  }
}

void check_sites(const Config& config, const SourceMap& where, Diagnostics& diags) {
  std::unordered_map<std::string, size_t> names;
  struct HostOwner {
    size_t site;
    Pos pos;
  };
  std::unordered_map<std::string, HostOwner> hosts;
  std::optional<size_t> default_site;
  for (size_t i = 0; i < config.sites.size() && !diags.stopped(); ++i) {
    const Site& site = config.sites[i];
    const SiteSource& src = where.sites[i];
    std::string prefix = "sites[" + std::to_string(i) + "]";
    if (!site.name.empty()) {
      auto [it, inserted] = names.emplace(site.name, i);
      if (!inserted) {
        diags.error(src.name, prefix + ".name: \"" + site.name +
                                  "\" is already the name of sites[" + std::to_string(it->second) +
                                  "]" + at_line(where.sites[it->second].name));
      }
    }
    if (site.is_default) {
      if (default_site) {
        const Site& first = config.sites[*default_site];
        diags.error(src.is_default, prefix + ".default: only one site may be the default, and " +
                                        "site \"" + first.name + "\" already is" +
                                        at_line(where.sites[*default_site].is_default));
      } else {
        default_site = i;
      }
    }
    for (size_t h = 0; h < site.hosts.size() && !diags.stopped(); ++h) {
      const std::string& host = site.hosts[h];
      auto [it, inserted] = hosts.emplace(host, HostOwner{i, src.hosts[h]});
      if (inserted) continue;
      std::string msg = src.host_paths[h] + ": host \"" + host + "\" ";
      if (it->second.site == i) {
        msg += "is listed twice in site \"" + site.name + "\"";
      } else {
        msg += "is in two sites: \"" + config.sites[it->second.site].name + "\" and \"" +
               site.name + "\"";
      }
      diags.error(src.hosts[h], msg + at_line(it->second.pos));
    }
  }
}

void check_limits(const Config& config, const SourceMap& where, Diagnostics& diags) {
  const Limits& l = config.limits;
  if (l.max_header_bytes < l.max_request_line) {
    // Blame whichever of the two was written; both may have been.
    Pos pos = where.max_header_bytes ? *where.max_header_bytes
                                     : where.max_request_line.value_or(where.root);
    diags.error(pos, "limits.max_header_bytes (" + format_size(l.max_header_bytes) +
                         ") must be at least limits.max_request_line (" +
                         format_size(l.max_request_line) +
                         "): the request line is part of the head");
  }
  if (l.max_connections_per_ip > l.max_connections) {
    Pos pos = where.max_connections_per_ip ? *where.max_connections_per_ip
                                           : where.max_connections.value_or(where.root);
    diags.error(pos, "limits.max_connections_per_ip (" + std::to_string(l.max_connections_per_ip) +
                         ") must not exceed limits.max_connections (" +
                         std::to_string(l.max_connections) + ")");
  }
}

}  // namespace

void check_config(const Config& config, const SourceMap& where, Diagnostics& diags) {
  check_listeners(config, where, diags);
  check_sites(config, where, diags);
  check_limits(config, where, diags);
  check_rules(config, where, diags);
  check_pools(config, where, diags);
  check_tls(config, where, diags);
}

}  // namespace rampart::config::detail
