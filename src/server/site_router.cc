#include "server/site_router.h"

#include <algorithm>

namespace rampart::server {

SiteRouter::SiteRouter(const config::Config& config) {
  for (size_t i = 0; i < config.sites.size(); ++i) {
    const config::Site& site = config.sites[i];
    if (site.is_default) default_site_ = i;
    for (const std::string& host : site.hosts) {
      if (host.starts_with("*.")) {
        wildcards_.emplace_back(host.substr(1), i);
      } else {
        exact_.emplace(host, i);
      }
    }
  }
  std::stable_sort(wildcards_.begin(), wildcards_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::optional<size_t> SiteRouter::route(std::string_view host) const {
  // Strip the port (but not inside an IPv6 literal) and a trailing dot, then lowercase.
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  char lowered[256];
  if (host.size() > sizeof(lowered)) return default_site_;
  for (size_t i = 0; i < host.size(); ++i) {
    char c = host[i];
    lowered[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  std::string key(lowered, host.size());
  if (auto it = exact_.find(key); it != exact_.end()) return it->second;
  for (const auto& [suffix, index] : wildcards_) {
    // "*.example.com" matches "a.example.com" and "a.b.example.com", not "example.com".
    if (key.size() > suffix.size() && key.ends_with(suffix)) return index;
  }
  return default_site_;
}

}  // namespace rampart::server
