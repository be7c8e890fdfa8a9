#include "core/ip.h"

#include <cstdio>

namespace rampart::core {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A table, not comparisons: digits and letters alternate at random in addresses, and
// the branches they take would mispredict on about every other character.
constexpr std::array<int8_t, 256> kHexValues = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<int8_t>(i);
  for (int i = 0; i < 6; ++i) {
    t['a' + i] = static_cast<int8_t>(10 + i);
    t['A' + i] = static_cast<int8_t>(10 + i);
  }
  return t;
}();

int hex_value(char c) {
  return kHexValues[static_cast<unsigned char>(c)];
}

// Strict dotted quad: exactly four decimal parts of 0-255. Leading zeros are refused
// because some resolvers read "010" as octal, so "010.0.0.1" would name another host.
bool parse_v4_bytes(std::string_view text, uint8_t out[4]) {
  size_t pos = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (pos >= text.size() || text[pos] != '.') return false;
      ++pos;
    }
    size_t start = pos;
    unsigned value = 0;
    while (pos < text.size() && is_digit(text[pos]) && pos - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    size_t len = pos - start;
    if (len == 0 || value > 255) return false;
    if (len > 1 && text[start] == '0') return false;
    out[part] = static_cast<uint8_t>(value);
  }
  return pos == text.size();
}

// Up to eight 16-bit groups, kept on the stack: list files parse a million addresses.
struct V6Groups {
  // Room for a ninth group (refused right after it is added) plus a dotted-quad tail.
  std::array<uint16_t, 10> values{};
  size_t count = 0;
  size_t size() const { return count; }
  void push_back(uint16_t v) { values[count++] = v; }
  const uint16_t* begin() const { return values.data(); }
  const uint16_t* end() const { return values.data() + count; }
};

// Parses colon-separated 16-bit groups (no "::" inside). When allow_v4_tail is set the
// last element may be a dotted quad, which counts as two groups. One pass over the
// characters, no searching ahead: list files parse a million addresses.
bool parse_v6_groups(std::string_view text, bool allow_v4_tail, V6Groups& out) {
  if (text.empty()) return true;
  size_t pos = 0;
  while (true) {
    size_t start = pos;
    unsigned value = 0;
    // Reads at most five digits: a fifth one already makes the group too long.
    while (pos < text.size() && pos - start < 5) {
      int h = hex_value(text[pos]);
      if (h < 0) break;
      value = value << 4 | static_cast<unsigned>(h);
      ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
      // A dotted quad, which must run to the end (the IPv4 parser refuses any ':').
      uint8_t v4[4];
      if (!allow_v4_tail || out.size() > 6 || !parse_v4_bytes(text.substr(start), v4)) {
        return false;
      }
      out.push_back(static_cast<uint16_t>(v4[0] << 8 | v4[1]));
      out.push_back(static_cast<uint16_t>(v4[2] << 8 | v4[3]));
      return true;
    }
    size_t len = pos - start;
    if (len == 0 || len > 4) return false;
    out.push_back(static_cast<uint16_t>(value));
    if (out.size() > 8) return false;
    if (pos == text.size()) return true;
    if (text[pos] != ':') return false;
    ++pos;
  }
}

std::optional<IpAddress> parse_v6(std::string_view text) {
  // Zone ids ("fe80::1%eth0") name an interface, not an address: refused.
  V6Groups head;
  V6Groups tail;
  size_t gap = text.find("::");
  bool compressed = gap != std::string_view::npos;
  if (compressed) {
    if (text.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    std::string_view left = text.substr(0, gap);
    std::string_view right = text.substr(gap + 2);
    if (!parse_v6_groups(left, false, head)) return std::nullopt;
    if (!parse_v6_groups(right, true, tail)) return std::nullopt;
    // "::" stands for at least one zero group.
    if (head.size() + tail.size() > 7) return std::nullopt;
  } else {
    if (!parse_v6_groups(text, true, head)) return std::nullopt;
    if (head.size() != 8) return std::nullopt;
  }
  IpAddress ip;
  size_t i = 0;
  for (uint16_t g : head) {
    ip.bytes[i++] = static_cast<uint8_t>(g >> 8);
    ip.bytes[i++] = static_cast<uint8_t>(g);
  }
  i = 16 - tail.size() * 2;
  for (uint16_t g : tail) {
    ip.bytes[i++] = static_cast<uint8_t>(g >> 8);
    ip.bytes[i++] = static_cast<uint8_t>(g);
  }
  ip.v4 = false;
  return ip;
}

bool is_v4_mapped(const std::array<uint8_t, 16>& bytes) {
  for (size_t i = 0; i < kV4MappedPrefix.size(); ++i) {
    if (bytes[i] != kV4MappedPrefix[i]) return false;
  }
  return true;
}

// By hand, not snprintf: the proxy formats the client's address for every request.
std::string v4_string(const uint8_t* b) {
  char buf[16];
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    const unsigned v = b[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return std::string(buf, p);
}

// Compares the first `bits` bits of two 128-bit addresses.
bool prefix_equal(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int bits) {
  int full = bits / 8;
  for (int i = 0; i < full; ++i) {
    if (a[i] != b[i]) return false;
  }
  int rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

bool parse_prefix_len(std::string_view text, int max, int& out) {
  if (text.empty() || text.size() > 3) return false;
  if (text.size() > 1 && text[0] == '0') return false;
  int value = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  if (value > max) return false;
  out = value;
  return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  uint8_t v4[4];
  if (!parse_v4_bytes(text, v4)) return std::nullopt;
  IpAddress ip;
  for (size_t i = 0; i < kV4MappedPrefix.size(); ++i) ip.bytes[i] = kV4MappedPrefix[i];
  for (int i = 0; i < 4; ++i) ip.bytes[12 + i] = v4[i];
  ip.v4 = true;
  return ip;
}

std::string IpAddress::to_string() const {
  if (v4) return v4_string(&bytes[12]);
  // RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups as "::".
  if (is_v4_mapped(bytes)) return "::ffff:" + v4_string(&bytes[12]);
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i)
    groups[i] = static_cast<uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  int best_start = -1;
  int best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = -1;
  std::string out;
  out.reserve(40);
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", groups[i]);
    out += buf;
  }
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  int max = ip->v4 ? 32 : 128;
  int len = max;
  if (slash != std::string_view::npos && !parse_prefix_len(text.substr(slash + 1), max, len)) {
    return std::nullopt;
  }
  Cidr cidr;
  cidr.base = *ip;
  cidr.prefix_len = len;
  // Host bits are cleared so "10.1.2.3/8" and "10.0.0.0/8" are the same prefix.
  int bits = ip->v4 ? 96 + len : len;
  for (int i = 0; i < 16; ++i) {
    int keep = bits - i * 8;
    if (keep >= 8) continue;
    cidr.base.bytes[i] =
        keep <= 0 ? 0 : static_cast<uint8_t>(cidr.base.bytes[i] & (0xff << (8 - keep)));
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& ip) const {
  // Compared on the 128-bit form, so an IPv4 prefix also matches the same address seen
  // as ::ffff:a.b.c.d on a dual-stack socket.
  int bits = base.v4 ? 96 + prefix_len : prefix_len;
  return prefix_equal(base.bytes, ip.bytes, bits);
}

std::string Cidr::to_string() const {
  return base.to_string() + "/" + std::to_string(prefix_len);
}

bool CidrSet::contains(const IpAddress& ip) const {
  for (const Cidr& c : entries_) {
    if (c.contains(ip)) return true;
  }
  return false;
}

}  // namespace rampart::core
