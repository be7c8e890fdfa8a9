#include "http/message.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace rampart::http {

namespace {

constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Eight bytes lowered at once: 0x20 added to each byte in 'A'..'Z', nothing else
// touched (no byte carries into the next: each sum stays below 0x100).
inline uint64_t lower8(uint64_t x) {
  constexpr uint64_t k01 = 0x0101010101010101ull;
  constexpr uint64_t k80 = 0x8080808080808080ull;
  uint64_t low7 = x & ~k80;
  uint64_t from_a = low7 + (0x80 - 'A') * k01;      // top bit set where low7 >= 'A'
  uint64_t past_z = low7 + (0x80 - 'Z' - 1) * k01;  // top bit set where low7 > 'Z'
  uint64_t upper = from_a & ~past_z & ~x & k80;     // and the byte is ASCII
  return x | (upper >> 2);
}

inline uint64_t load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

template <typename Head>
const Header* find_header(const Head& head, std::string_view name) {
  for (const Header& h : head.headers) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

}  // namespace

// Every header lookup compares names this way, so eight bytes per step.
bool iequals(std::string_view a, std::string_view b) {
  size_t n = a.size();
  if (n != b.size()) return false;
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }
  const char* pa = a.data();
  const char* pb = b.data();
  for (size_t i = 0; i + 8 <= n; i += 8) {
    if (lower8(load8(pa + i)) != lower8(load8(pb + i))) return false;
  }
  // The last 8 bytes, overlapping what was compared when n is not a multiple of 8.
  return lower8(load8(pa + n - 8)) == lower8(load8(pb + n - 8));
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {
      "connection",        "keep-alive",         "proxy-connection",   "te", "trailer", "upgrade",
      "transfer-encoding", "proxy-authenticate", "proxy-authorization"};
  for (std::string_view h : kHopByHop) {
    if (iequals(name, h)) return true;
  }
  return false;
}

const Header* RequestHead::find(std::string_view name) const {
  return find_header(*this, name);
}
const Header* ResponseHead::find(std::string_view name) const {
  return find_header(*this, name);
}

void RequestHead::clear() {
  method = target = path = query = host = upgrade_protocol = {};
  version_minor = 1;
  headers.clear();
  body = BodyKind::kNone;
  content_length = 0;
  flags = {};
}

void ResponseHead::clear() {
  status = 0;
  version_minor = 1;
  reason = {};
  headers.clear();
  body = BodyKind::kNone;
  content_length = 0;
  keep_alive = true;
}

}  // namespace rampart::http
