#pragma once
// IPv4/IPv6 addresses and CIDR prefixes, parsed without exceptions.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::core {

struct IpAddress {
  // IPv4 is stored as an IPv4-mapped IPv6 address (::ffff:a.b.c.d) so one compare works.
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;

  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

struct Cidr {
  IpAddress base;
  int prefix_len = 0;  // in bits of the written family (0-32 for IPv4, 0-128 for IPv6)

  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128).
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& ip) const;
  std::string to_string() const;
};

class CidrSet {
 public:
  void add(const Cidr& c) { entries_.push_back(c); }
  bool contains(const IpAddress& ip) const;
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Cidr> entries_;
};

}  // namespace rampart::core
