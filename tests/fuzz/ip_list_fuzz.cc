// Fuzzes IP list files (the `lists:` feeds, read from disk while rampart serves) and the
// address and prefix parsers under them. Invariants: a file loads exactly when every
// line is an address, a prefix, blank or a comment and the entry cap holds; the built
// set answers like a plain list of the same prefixes (IpRangeSet promises "exactly
// Cidr::contains") at every prefix's edges; text forms parse back to the same value.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/ip_range_set.h"
#include "fuzz_check.h"

namespace {

using rampart::core::Cidr;
using rampart::core::CidrSet;
using rampart::core::IpAddress;
using rampart::core::IpRangeSet;

constexpr size_t kMaxEntries = 64;
constexpr size_t kMaxBytes = 8192;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The first or last address a prefix covers, in the 128-bit form.
IpAddress edge(const Cidr& c, bool last) {
  IpAddress a = c.base;
  const int bits = c.base.v4 ? 96 + c.prefix_len : c.prefix_len;
  for (int i = bits; i < 128; ++i) {
    const uint8_t bit = static_cast<uint8_t>(0x80 >> (i % 8));
    if (last) {
      a.bytes[i / 8] |= bit;
    } else {
      a.bytes[i / 8] &= static_cast<uint8_t>(~bit);
    }
  }
  return a;
}

// The next (or previous) address, wrapping at the ends.
IpAddress step(IpAddress a, bool up) {
  for (int i = 15; i >= 0; --i) {
    if (up ? a.bytes[i]++ != 0xff : a.bytes[i]-- != 0) break;
  }
  return a;
}

IpAddress with_family(IpAddress a) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  a.v4 = std::equal(kMapped, kMapped + 12, a.bytes.begin());
  return a;
}

int list_fd() {
  static int fd = memfd_create("ip_list_fuzz", 0);
  return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxBytes + 16) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The whole input as one address and as one prefix: text forms round-trip.
  if (auto ip = IpAddress::parse(text)) {
    auto again = IpAddress::parse(ip->to_string());
    FUZZ_CHECK(again && *again == *ip);
  }
  if (auto c = Cidr::parse(text)) {
    FUZZ_CHECK(c->prefix_len >= 0 && c->prefix_len <= (c->base.v4 ? 32 : 128));
    auto again = Cidr::parse(c->to_string());
    FUZZ_CHECK(again && again->base == c->base && again->prefix_len == c->prefix_len);
    FUZZ_CHECK(c->contains(edge(*c, false)) && c->contains(edge(*c, true)));
  }

  // The input as a list file.
  const int fd = list_fd();
  if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != static_cast<ssize_t>(size))
    return 0;
  const auto load = rampart::core::load_ip_list_file("/proc/self/fd/" + std::to_string(fd),
                                                     kMaxEntries, kMaxBytes);
  FUZZ_CHECK((load.set == nullptr) == !load.errors.empty());
  FUZZ_CHECK(load.errors.size() <= 22);
  if (size > kMaxBytes) {
    FUZZ_CHECK(load.set == nullptr);
    return 0;
  }

  std::string_view rest = text;
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);
  std::vector<Cidr> cidrs;
  bool bad_line = false;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    if (auto c = Cidr::parse(line)) {
      cidrs.push_back(*c);
    } else {
      bad_line = true;
    }
  }
  const bool should_load = !bad_line && cidrs.size() <= kMaxEntries;
  FUZZ_CHECK(should_load == (load.set != nullptr));
  if (!load.set) return 0;
  const IpRangeSet& set = *load.set;
  FUZZ_CHECK(set.entry_count() == cidrs.size());
  FUZZ_CHECK(set.empty() == cidrs.empty());
  FUZZ_CHECK(set.range_count() <=
             3 * cidrs.size());  // ::/0 is three: below, in and above ::ffff:0:0/96

  CidrSet plain;
  for (const Cidr& c : cidrs) plain.add(c);
  IpRangeSet::Builder copy_builder;
  copy_builder.add_set(set);
  const IpRangeSet copy = std::move(copy_builder).build();

  auto agree = [&](const IpAddress& ip) {
    const bool want = plain.contains(ip);
    FUZZ_CHECK(set.contains(ip) == want);
    FUZZ_CHECK(copy.contains(ip) == want);
  };
  for (const Cidr& c : cidrs) {
    for (bool last : {false, true}) {
      const IpAddress e = with_family(edge(c, last));
      FUZZ_CHECK(set.contains(e));
      agree(e);
      agree(with_family(step(e, last)));
      agree(with_family(step(e, !last)));
    }
  }
  return 0;
}
