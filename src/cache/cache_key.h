#pragma once
// The keys objects are stored under: the lower-cased host and the origin-form target,
// and for a response that varies, that key, 0x1f and the Vary secondary key. The
// request path builds them and the admin API's purge matches them; both go through here.

#include <optional>
#include <string>
#include <string_view>

namespace rampart::cache {

std::string make_key(std::string_view host, std::string_view target);
std::string variant_key(std::string_view key, std::string_view vary_key);
// True for `key` itself and for every variant stored under it (Vary variants, and the
// header and cookie parts a cache rule adds).
bool is_key_or_variant(std::string_view stored, std::string_view key);
std::string_view host_of_key(std::string_view key);
// "https://Shop.example/a?b" or "shop.example/a?b" as a key; nullopt without a host.
std::optional<std::string> key_of_url(std::string_view url);
std::string lower_host(std::string_view host);

}  // namespace rampart::cache
