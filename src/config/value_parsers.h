#pragma once
// Parsers for the scalar value syntaxes of the config file. Each returns the value or a
// message saying what is wrong with the text (without location; the loader adds it).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/ip.h"

namespace rampart::config {

template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // set when value is empty

  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(std::string message) { return Parsed{std::nullopt, std::move(message)}; }
  explicit operator bool() const { return value.has_value(); }
};

// Decimal digits only: no sign, no leading zeros (YAML 1.1 reads "010" as octal).
Parsed<uint64_t> parse_uint(std::string_view text);

// "500ms", "10s", "2m", "1h", "180d", compounds such as "1m30s", or a bare integer of
// seconds.
Parsed<Millis> parse_duration(std::string_view text);

// "512", "512B", "64KiB", "100MiB", "1GiB", "2TiB" (powers of 1024) or "512KB",
// "10MB", "1GB", "1TB" (powers of 1000). A bare integer is bytes.
Parsed<uint64_t> parse_size(std::string_view text);

// "true" or "false" (YAML 1.2 core schema spellings). "yes"/"on" are refused: YAML 1.1
// tools read them as booleans and others as strings.
Parsed<bool> parse_bool(std::string_view text);

// Splits "host:port" or "[ipv6]:port". The host comes back without brackets; a bare
// IPv6 address without brackets is refused because its last group would read as a port.
struct HostPortText {
  std::string host;
  uint16_t port = 0;
  bool bracketed = false;
};
Parsed<HostPortText> split_host_port(std::string_view text);

// A listener or admin address: an IP literal, "localhost" (127.0.0.1) or "*" (0.0.0.0).
// The host is returned in canonical IP form so equal addresses compare equal.
Parsed<HostPort> parse_listen_address(std::string_view text);

// An origin endpoint: an IP literal or a DNS name (checked for syntax only, never
// resolved here). Names are lowercased; IPs are canonical.
Parsed<HostPort> parse_endpoint(std::string_view text);

// RFC 1123 host name syntax on lowercase text: dot-separated labels of letters, digits
// and inner hyphens, 1-63 characters each, 253 in all, and a last label that is not all
// digits unless the whole name is a valid IPv4 address.
bool is_valid_hostname(std::string_view lower);

// A SHA-256 pin: 64 hex digits (colons between byte pairs allowed) or 44 characters of
// standard base64 (an optional "sha256/" prefix, as HPKP wrote them). Returns the 32
// raw bytes.
Parsed<std::string> parse_sha256_pin(std::string_view text);

// A site host pattern: a host name, an IPv4 literal, a bracketed IPv6 literal, or a
// "*.suffix" wildcard. Lowercases and returns the normalized form.
Parsed<std::string> parse_site_host(std::string_view text);

// A percentage: "20%" or a bare integer 20, at most 100. Callers narrow the range.
Parsed<uint32_t> parse_percent(std::string_view text);

// Expected HTTP status codes: "2xx" (N 1-5), "200", "200-299", or a comma-separated
// list of those ("200-299,301"), each code 100-599 and each range low <= high.
Parsed<std::vector<StatusRange>> parse_status_codes(std::string_view text);

// RFC 9110 token characters, 1-256 long.
bool is_http_token(std::string_view text);

// True when text holds a space, a control character or DEL: none belongs in a URL.
bool has_space_or_control(std::string_view text);

// What is wrong with a redirect target, or nullopt when it is a path starting with "/"
// (not "//" or "/\\", which browsers read as another host) or an http(s) URL with a
// host, at most 2048 bytes, without spaces or control bytes. Checks written targets at
// load and computed ones per request alike.
std::optional<std::string> redirect_target_problem(std::string_view to);

// Quotes text for a message, cut short and with control bytes escaped so a hostile value
// cannot forge extra lines in a log.
std::string quote(std::string_view text);

// Lowercase ASCII copy.
std::string to_lower(std::string_view text);

// A rate-limit characteristic "ip.src/24" or "ip.src/24/48": the IPv4 and IPv6 prefix
// lengths (the IPv6 one 64 when not written). False when `text` is not of that form.
bool parse_ip_prefix_characteristic(std::string_view text, int& v4, int& v6);

// Human-readable forms used in messages.
std::string format_duration(Millis d);
std::string format_size(uint64_t bytes);

}  // namespace rampart::config
