#include "cache/cache_key.h"

#include "cache/field_text.h"

namespace rampart::cache {

namespace {
constexpr char kVariantSeparator = '\x1f';
// Starts the header and cookie parts a cache rule adds to a key (key_options.h).
constexpr char kKeyPartSeparator = '\x1e';
}  // namespace

std::string lower_host(std::string_view host) {
  return detail::lower_copy(host);
}

std::string make_key(std::string_view host, std::string_view target) {
  std::string key = lower_host(host);
  key += target.empty() ? std::string_view("/") : target;
  return key;
}

std::string variant_key(std::string_view key, std::string_view vary_key) {
  std::string k(key);
  k.push_back(kVariantSeparator);
  k += vary_key;
  return k;
}

bool is_key_or_variant(std::string_view stored, std::string_view key) {
  if (!stored.starts_with(key)) return false;
  return stored.size() == key.size() || stored[key.size()] == kVariantSeparator ||
         stored[key.size()] == kKeyPartSeparator;
}

std::string_view host_of_key(std::string_view key) {
  return key.substr(0, key.find('/'));
}

std::optional<std::string> key_of_url(std::string_view url) {
  if (size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  size_t slash = url.find('/');
  if (url.empty() || slash == 0) return std::nullopt;
  return make_key(url.substr(0, slash),
                  slash == std::string_view::npos ? std::string_view() : url.substr(slash));
}

}  // namespace rampart::cache
