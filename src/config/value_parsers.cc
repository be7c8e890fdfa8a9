#include "config/value_parsers.h"

#include <limits>
#include <optional>
#include <vector>

#include "core/hex.h"

namespace rampart::config {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z');
}

// Reads a run of digits at text[pos]; fails on overflow past `max`.
bool read_number(std::string_view text, size_t& pos, uint64_t max, uint64_t& out) {
  size_t start = pos;
  uint64_t value = 0;
  while (pos < text.size() && is_digit(text[pos])) {
    uint64_t d = static_cast<uint64_t>(text[pos] - '0');
    if (value > (max - d) / 10) return false;
    value = value * 10 + d;
    ++pos;
  }
  if (pos == start) return false;
  out = value;
  return true;
}

}  // namespace

bool has_space_or_control(std::string_view text) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

std::string quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMax) out += "...";
  out += '"';
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Parsed<uint64_t> parse_uint(std::string_view text) {
  if (text.empty()) return Parsed<uint64_t>::fail("expected a number, got an empty string");
  for (char c : text) {
    if (!is_digit(c)) return Parsed<uint64_t>::fail(quote(text) + " is not a whole number");
  }
  if (text.size() > 1 && text[0] == '0') {
    return Parsed<uint64_t>::fail(quote(text) + " has leading zeros");
  }
  size_t pos = 0;
  uint64_t value = 0;
  if (!read_number(text, pos, std::numeric_limits<uint64_t>::max(), value)) {
    return Parsed<uint64_t>::fail(quote(text) + " is too large");
  }
  return Parsed<uint64_t>::ok(value);
}

Parsed<Millis> parse_duration(std::string_view text) {
  using R = Parsed<Millis>;
  if (text.empty()) return R::fail("expected a duration such as 500ms, 10s, 2m or 1h");
  // Far past any accepted range, and small enough that no product below overflows.
  constexpr uint64_t kMaxMs = uint64_t{1} << 52;
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && is_digit(c);
  if (all_digits) {
    auto seconds = parse_uint(text);
    if (!seconds) return R::fail(seconds.error);
    if (*seconds.value > kMaxMs / 1000) return R::fail(quote(text) + " is too large");
    return R::ok(Millis(static_cast<int64_t>(*seconds.value * 1000)));
  }
  uint64_t total = 0;
  size_t pos = 0;
  int last_rank = 6;  // units must go from larger to smaller: "1h30m", not "30m1h"
  while (pos < text.size()) {
    uint64_t n = 0;
    if (!is_digit(text[pos])) {
      return R::fail(quote(text) + " is not a duration (expected e.g. 500ms, 10s, 2m, 1h)");
    }
    size_t start = pos;
    if (!read_number(text, pos, kMaxMs, n)) return R::fail(quote(text) + " is too large");
    if (pos - start > 1 && text[start] == '0') {
      return R::fail(quote(text) + " has leading zeros");
    }
    size_t unit_start = pos;
    while (pos < text.size() && !is_digit(text[pos])) ++pos;
    std::string_view unit = text.substr(unit_start, pos - unit_start);
    uint64_t scale = 0;
    int rank = 0;
    if (unit == "ms") {
      scale = 1, rank = 1;
    } else if (unit == "s") {
      scale = 1000, rank = 2;
    } else if (unit == "m") {
      scale = 60'000, rank = 3;
    } else if (unit == "h") {
      scale = 3'600'000, rank = 4;
    } else if (unit == "d") {
      scale = 86'400'000, rank = 5;
    } else if (unit.empty()) {
      return R::fail(quote(text) + " needs a unit after each number (ms, s, m, h or d)");
    } else {
      return R::fail(quote(text) + " has an unknown unit " + quote(unit) +
                     " (expected ms, s, m, h or d)");
    }
    if (rank >= last_rank) {
      return R::fail(quote(text) + " must list units from largest to smallest, each once");
    }
    last_rank = rank;
    if (n > kMaxMs / scale || total + n * scale > kMaxMs) {
      return R::fail(quote(text) + " is too large");
    }
    total += n * scale;
  }
  return R::ok(Millis(static_cast<int64_t>(total)));
}

Parsed<uint64_t> parse_size(std::string_view text) {
  using R = Parsed<uint64_t>;
  if (text.empty()) return R::fail("expected a size such as 512, 64KiB or 100MiB");
  size_t pos = 0;
  uint64_t n = 0;
  if (!is_digit(text[0])) {
    return R::fail(quote(text) + " is not a size (expected e.g. 512, 64KiB, 100MiB, 1GiB)");
  }
  if (!read_number(text, pos, std::numeric_limits<uint64_t>::max(), n)) {
    return R::fail(quote(text) + " is too large");
  }
  if (pos > 1 && text[0] == '0') return R::fail(quote(text) + " has leading zeros");
  if (pos + 1 < text.size() && text[pos] == ' ') ++pos;  // "100 MiB" reads naturally too
  std::string_view unit = text.substr(pos);
  struct Unit {
    std::string_view name;
    uint64_t scale;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KiB", uint64_t{1} << 10},
      {"MiB", uint64_t{1} << 20},
      {"GiB", uint64_t{1} << 30},
      {"TiB", uint64_t{1} << 40},
      {"KB", 1000},
      {"kB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"TB", uint64_t{1000} * 1000 * 1000 * 1000},
  };
  for (const Unit& u : kUnits) {
    if (u.name != unit) continue;
    if (n > std::numeric_limits<uint64_t>::max() / u.scale) {
      return R::fail(quote(text) + " is too large");
    }
    return R::ok(n * u.scale);
  }
  return R::fail(quote(text) + " has an unknown unit " + quote(unit) +
                 " (expected B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)");
}

Parsed<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "True" || text == "TRUE") return Parsed<bool>::ok(true);
  if (text == "false" || text == "False" || text == "FALSE") return Parsed<bool>::ok(false);
  return Parsed<bool>::fail("expected true or false, got " + quote(text));
}

Parsed<HostPortText> split_host_port(std::string_view text) {
  using R = Parsed<HostPortText>;
  HostPortText out;
  std::string_view port_text;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return R::fail(quote(text) + " is missing ']'");
    out.host = std::string(text.substr(1, close - 1));
    out.bracketed = true;
    std::string_view rest = text.substr(close + 1);
    if (rest.empty() || rest[0] != ':') {
      return R::fail(quote(text) + " needs a port after the address, e.g. [::1]:8080");
    }
    port_text = rest.substr(1);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return R::fail(quote(text) + " needs a port, e.g. 127.0.0.1:8080");
    }
    std::string_view host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return R::fail(quote(text) + ": write an IPv6 address in brackets, e.g. [::1]:8080");
    }
    out.host = std::string(host);
    port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) return R::fail(quote(text) + " has an empty host");
  auto port = parse_uint(port_text);
  if (!port || *port.value < 1 || *port.value > 65535) {
    return R::fail(quote(text) + " has an invalid port " + quote(port_text) +
                   " (expected 1-65535)");
  }
  out.port = static_cast<uint16_t>(*port.value);
  return R::ok(std::move(out));
}

namespace {
// "[addr]:port": the brackets must hold an IPv6 address, stored in canonical form.
Parsed<HostPort> bracketed_v6(std::string_view text, const std::string& host, HostPort out) {
  auto ip = core::IpAddress::parse(host);
  if (!ip || ip->v4) {
    return Parsed<HostPort>::fail(quote(text) + ": " + quote(host) + " is not an IPv6 address");
  }
  out.host = ip->to_string();
  return Parsed<HostPort>::ok(std::move(out));
}
}  // namespace

Parsed<HostPort> parse_listen_address(std::string_view text) {
  using R = Parsed<HostPort>;
  auto split = split_host_port(text);
  if (!split) return R::fail(split.error);
  HostPort out;
  out.port = split.value->port;
  const std::string& host = split.value->host;
  if (split.value->bracketed) return bracketed_v6(text, host, std::move(out));
  if (host == "*") {
    out.host = "0.0.0.0";
  } else if (to_lower(host) == "localhost") {
    out.host = "127.0.0.1";
  } else if (auto ip = core::IpAddress::parse(host)) {
    out.host = ip->to_string();
  } else {
    return R::fail(quote(text) + ": the host must be an IP address, \"localhost\" or \"*\"" +
                   " (listeners do not resolve names)");
  }
  return R::ok(std::move(out));
}

bool is_valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t pos = 0;
  std::string_view last;
  while (true) {
    size_t dot = name.find('.', pos);
    std::string_view label =
        name.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_lower_alnum(c) && c != '-') return false;
    }
    last = label;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  // No top-level domain is all digits, so "300.1.1.1" is a mistyped address, not a name.
  bool numeric = true;
  for (char c : last) numeric = numeric && is_digit(c);
  if (numeric) {
    auto ip = core::IpAddress::parse(name);
    return ip && ip->v4;
  }
  return true;
}

Parsed<HostPort> parse_endpoint(std::string_view text) {
  using R = Parsed<HostPort>;
  auto split = split_host_port(text);
  if (!split) return R::fail(split.error);
  HostPort out;
  out.port = split.value->port;
  const std::string& host = split.value->host;
  if (split.value->bracketed) return bracketed_v6(text, host, std::move(out));
  if (auto ip = core::IpAddress::parse(host)) {
    out.host = ip->to_string();
    return R::ok(std::move(out));
  }
  std::string lower = to_lower(host);
  if (!is_valid_hostname(lower)) {
    return R::fail(quote(text) + ": " + quote(host) +
                   " is neither an IP address nor a valid host name");
  }
  out.host = std::move(lower);
  return R::ok(std::move(out));
}

Parsed<std::string> parse_site_host(std::string_view text) {
  using R = Parsed<std::string>;
  if (text.empty()) return R::fail("a host must not be empty");
  if (text.front() == '[') {
    if (text.back() != ']') return R::fail(quote(text) + " is missing ']'");
    auto ip = core::IpAddress::parse(text.substr(1, text.size() - 2));
    if (!ip || ip->v4) return R::fail(quote(text) + " is not a bracketed IPv6 address");
    return R::ok("[" + ip->to_string() + "]");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return R::fail(quote(text) + " is not ASCII: write internationalized names in their " +
                     "xn-- (punycode) form");
    }
  }
  std::string lower = to_lower(text);
  if (lower == "*") {
    return R::fail("\"*\" matches every host: mark a site `default: true` instead");
  }
  if (lower.find(':') != std::string::npos) {
    return R::fail(quote(text) + ": hosts are matched without the port; remove \":port\"" +
                   " (IPv6 literals go in brackets)");
  }
  if (lower.back() == '.') return R::fail(quote(text) + ": remove the trailing dot");
  std::string_view name = lower;
  if (name.size() >= 2 && name.substr(0, 2) == "*.") {
    name.remove_prefix(2);
  } else if (name.find('*') != std::string_view::npos) {
    return R::fail(quote(text) + ": a wildcard is allowed only as the whole first label, " +
                   "as in \"*.example.com\"");
  }
  if (name.find('*') != std::string_view::npos) {
    return R::fail(quote(text) + ": a wildcard is allowed only as the whole first label, " +
                   "as in \"*.example.com\"");
  }
  if (!is_valid_hostname(name)) return R::fail(quote(text) + " is not a valid host name");
  if (name.size() != lower.size()) {
    // A wildcard over an IP address ("*.1.2.3") matches nothing real.
    if (core::IpAddress::parse(name)) {
      return R::fail(quote(text) + ": a wildcard needs a domain name after \"*.\"");
    }
  }
  return R::ok(std::move(lower));
}

Parsed<uint32_t> parse_percent(std::string_view text) {
  using R = Parsed<uint32_t>;
  std::string_view digits = text;
  if (!digits.empty() && digits.back() == '%') digits.remove_suffix(1);
  auto n = parse_uint(digits);
  if (!n) {
    return R::fail(quote(text) + " is not a percentage (expected e.g. 20% or 20)");
  }
  if (*n.value > 100) return R::fail(quote(text) + " is more than 100%");
  return R::ok(static_cast<uint32_t>(*n.value));
}

namespace {

// One code of a status list: three digits, 100-599.
std::optional<int> status_code(std::string_view text) {
  if (text.size() != 3) return std::nullopt;
  auto n = parse_uint(text);
  if (!n || *n.value < 100 || *n.value > 599) return std::nullopt;
  return static_cast<int>(*n.value);
}

}  // namespace

Parsed<std::vector<StatusRange>> parse_status_codes(std::string_view text) {
  using R = Parsed<std::vector<StatusRange>>;
  if (text.empty()) return R::fail("expected status codes such as 2xx, 200 or 200-299,301");
  std::vector<StatusRange> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view part =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.empty()) return R::fail(quote(text) + " has an empty entry");
    size_t dash = part.find('-');
    if (part.size() == 3 && (part[1] == 'x' || part[1] == 'X') && part[1] == part[2]) {
      if (part[0] < '1' || part[0] > '5') {
        return R::fail(quote(part) + " is not a status class (use 1xx to 5xx)");
      }
      int low = (part[0] - '0') * 100;
      out.push_back(StatusRange{low, low + 99});
    } else if (dash != std::string_view::npos) {
      auto low = status_code(part.substr(0, dash));
      auto high = status_code(part.substr(dash + 1));
      if (!low || !high) {
        return R::fail(quote(part) + " is not a range of status codes 100-599 (e.g. 200-299)");
      }
      if (*low > *high)
        return R::fail(quote(part) + " is a range whose low end is above its high end");
      out.push_back(StatusRange{*low, *high});
    } else {
      auto code = status_code(part);
      if (!code) {
        return R::fail(quote(part) + " is not a status code 100-599, a range such as " +
                       "200-299 or a class such as 2xx");
      }
      out.push_back(StatusRange{*code, *code});
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return R::ok(std::move(out));
}

bool is_http_token(std::string_view text) {
  if (text.empty() || text.size() > 256) return false;
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  for (char c : text) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              kExtra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

std::string format_duration(Millis d) {
  int64_t ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_size(uint64_t bytes) {
  if (bytes != 0 && bytes % (uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
  if (bytes != 0 && bytes % (uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  if (bytes != 0 && bytes % (uint64_t{1} << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::optional<std::string> redirect_target_problem(std::string_view to) {
  auto starts_with_ci = [](std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && to_lower(text.substr(0, prefix.size())) == prefix;
  };
  if (to.empty()) return "the target must not be empty";
  if (to.size() > 2048) return "the target is longer than 2048 characters";
  if (has_space_or_control(to)) return quote(to) + " contains spaces or control characters";
  if (to.size() >= 2 && (to.substr(0, 2) == "//" || to.substr(0, 2) == "/\\")) {
    return quote(to) + " would send clients to another host; write the scheme, " +
           "e.g. https://host/path";
  }
  if (to[0] == '/') return std::nullopt;
  if (starts_with_ci(to, "http://") || starts_with_ci(to, "https://")) {
    std::string_view rest = to.substr(to.find("://") + 3);
    if (rest.substr(0, rest.find_first_of("/?#")).empty()) {
      return quote(to) + " has no host after the scheme";
    }
    return std::nullopt;
  }
  return quote(to) + " must be a path starting with \"/\" or an http:// or https:// URL";
}

namespace {

using core::hex_value;

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

Parsed<std::string> parse_sha256_pin(std::string_view text) {
  constexpr std::string_view kHelp =
      "expected a SHA-256 digest of the public key: 64 hex digits or 44 base64 characters";
  if (text.starts_with("sha256/")) text.remove_prefix(7);
  std::string hex;
  for (char c : text) {
    if (c != ':') hex += c;
  }
  std::string out;
  if (hex.size() == 64) {
    for (size_t i = 0; i < 64; i += 2) {
      int hi = hex_value(hex[i]);
      int lo = hex_value(hex[i + 1]);
      if (hi < 0 || lo < 0) {
        out.clear();
        break;
      }
      out += static_cast<char>(hi * 16 + lo);
    }
    if (out.size() == 32) return Parsed<std::string>::ok(std::move(out));
  }
  // 32 bytes are 43 base64 digits and one '=' of padding.
  if (text.size() != 44 || text[43] != '=') return Parsed<std::string>::fail(std::string(kHelp));
  uint32_t bits = 0;
  int held = 0;
  for (size_t i = 0; i < 43; ++i) {
    int v = base64_value(text[i]);
    if (v < 0) return Parsed<std::string>::fail(std::string(kHelp));
    bits = (bits << 6) | static_cast<uint32_t>(v);
    held += 6;
    if (held >= 8) {
      held -= 8;
      out += static_cast<char>((bits >> held) & 0xff);
    }
  }
  if (out.size() != 32 || (bits & ((1u << held) - 1)) != 0) {
    return Parsed<std::string>::fail(std::string(kHelp));
  }
  return Parsed<std::string>::ok(std::move(out));
}

}  // namespace rampart::config
