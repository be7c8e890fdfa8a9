#pragma once
// Host → site: exact names first, then the longest matching "*.suffix" wildcard, then
// the default site.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace rampart::server {

class SiteRouter {
 public:
  explicit SiteRouter(const config::Config& config);
  // `host` as sent (any case, optional :port). Returns the index into config.sites.
  std::optional<size_t> route(std::string_view host) const;

 private:
  std::unordered_map<std::string, size_t> exact_;
  std::vector<std::pair<std::string, size_t>> wildcards_;  // ".suffix", longest first
  std::optional<size_t> default_site_;
};

}  // namespace rampart::server
