#pragma once
// An immutable set of IPv4/IPv6 addresses and prefixes, built once and then looked up
// by any number of threads. Built for named IP lists of up to millions of entries:
// prefixes become merged, sorted address ranges with a bucket index on the leading
// bits, so a lookup touches a handful of cache lines whatever the list size.
//
// Matching is exactly Cidr::contains: addresses are compared in their 128-bit form, so
// an IPv4 prefix also matches the address written as ::ffff:a.b.c.d, and an IPv6 prefix
// that covers part of ::ffff:0:0/96 (::/0, ::ffff:10.0.0.0/104) matches those IPv4
// addresses too. Internally the IPv4-mapped part of every prefix lives in the IPv4 table.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"

namespace rampart::core {

class IpRangeSet {
  template <typename Key>
  struct Range {
    Key first, last;  // inclusive
  };

 public:
  class Builder {
   public:
    void add(const Cidr& cidr);
    // Adds every address of a built set (for unions of sets).
    void add_set(const IpRangeSet& set);
    size_t size() const { return added_; }
    // Sorts, merges overlapping and adjacent ranges, and builds the bucket indexes.
    IpRangeSet build() &&;

   private:
    std::vector<Range<uint32_t>> v4_;
    std::vector<Range<unsigned __int128>> v6_;
    size_t added_ = 0;
  };

  IpRangeSet() = default;
  bool contains(const IpAddress& ip) const;
  bool empty() const { return entries_ == 0; }
  size_t entry_count() const { return entries_; }  // prefixes added, before merging
  size_t range_count() const;                      // disjoint ranges after merging
  size_t memory_bytes() const;

 private:
  template <typename Key>
  struct Table {
    // Disjoint, ascending. Starts and ends side by side: the lines a lookup scans for
    // the start also hold the end it then checks.
    std::vector<Range<Key>> ranges;
    // Bucket index over the key's offset from `min`: bucket b = (key - min) >> shift,
    // at most 2^20 buckets. Bucket b's candidates are ranges [index[b], index[b + 1]].
    // Empty for tables small enough to scan whole.
    std::vector<uint32_t> index;
    int shift = 0;
    // min > max while the table is empty, so the bounds check alone rejects every key.
    Key min = 1, max = 0;

    bool contains(Key key) const;
    size_t last_start_at_or_before(Key key, size_t lo, size_t hi) const;
    void build(std::vector<Range<Key>>&& sorted_disjoint);
    size_t memory_bytes() const {
      return ranges.capacity() * sizeof(Range<Key>) + index.capacity() * sizeof(uint32_t);
    }
  };
  Table<uint32_t> v4_;
  Table<unsigned __int128> v6_;
  size_t entries_ = 0;
};

// Reads a list file (a data feed): one address or CIDR per line; blank lines and '#'
// comments are skipped. The file is refused as a whole when it is larger than
// `max_bytes`, holds more than `max_entries` entries or has any bad line, so a bad
// feed never replaces a good one.
struct IpListError {
  int line = 0;         // 1-based; 0 for the file as a whole
  std::string message;  // without the line number
  // "line 17: \"10.0.0.300\" is not an IP address or CIDR prefix", or just the message.
  std::string to_string() const;
};

struct IpListLoad {
  std::shared_ptr<const IpRangeSet> set;  // null when errors is non-empty
  std::vector<IpListError> errors;        // at most the first 20, then one summary line
  size_t entries = 0;                     // valid lines seen, also past max_entries
};

IpListLoad load_ip_list_file(const std::string& path, size_t max_entries, size_t max_bytes);
// The same, for text already read (a data feed's new version).
IpListLoad parse_ip_list(std::string_view text, size_t max_entries);

}  // namespace rampart::core
