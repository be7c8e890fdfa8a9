#pragma once
// What the cache rules decided for one request: the settings of every matching rule
// merged in order, later rules overriding earlier ones setting by setting. Written by the
// cache_rules module in the cache_lookup phase, read by the server's cache step. Plain
// data: pointers into the config snapshot the request holds, no module types.

#include <cstdint>
#include <string_view>

#include "config/config.h"

namespace rampart::pipeline {

struct CacheDirectives {
  bool set = false;  // at least one cache rule matched; false: the site's defaults apply

  // Unset: the site's `cache.enabled` decides. The method, Authorization and upgrade
  // gates apply either way.
  enum class Eligibility : uint8_t { kDefault, kEligible, kBypass };
  Eligibility eligibility = Eligibility::kDefault;

  const config::EdgeTtl* edge_ttl = nullptr;        // null: respect the origin
  const config::BrowserTtl* browser_ttl = nullptr;  // null: respect the origin

  bool ignore_query_strings_order = false;
  bool cache_deception_armor = false;
  const config::QueryKey* query_string = nullptr;         // null: every argument
  const std::vector<std::string>* key_headers = nullptr;  // lower-case names
  const std::vector<std::string>* key_cookies = nullptr;
  bool host_resolved = false;  // key on the site's first host name instead of Host

  bool disable_stale_while_updating = false;
  bool disable_stale_if_error = false;

  std::string_view last_rule;  // id of the last matching rule, for logs

  // Whether the request's key differs from the plain host + target one.
  bool custom_key() const {
    return ignore_query_strings_order || query_string != nullptr || key_headers != nullptr ||
           key_cookies != nullptr || host_resolved;
  }
};

}  // namespace rampart::pipeline
