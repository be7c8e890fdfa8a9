#include "core/ip_range_set.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string_view>
#include <system_error>

namespace rampart::core {
namespace {

using U128 = unsigned __int128;

// ::ffff:0.0.0.0 .. ::ffff:255.255.255.255 as 128-bit keys.
constexpr U128 kMappedFirst = U128{0xffff} << 32;
constexpr U128 kMappedLast = kMappedFirst | 0xffffffffu;

// The largest index: 2^20 + 1 four-byte entries (4 MiB), reached at a million IPv6
// ranges (32 MiB of them).
constexpr int kMaxIndexBits = 20;
// Most candidates a lookup counts through; larger buckets (only in very skewed lists)
// are binary searched.
constexpr size_t kMaxScan = 64;

constexpr size_t kMaxReportedErrors = 20;

uint64_t load_be64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

uint32_t load_be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap32(v);
  return v;
}

U128 load_key(const std::array<uint8_t, 16>& bytes) {
  return U128{load_be64(bytes.data())} << 64 | load_be64(bytes.data() + 8);
}

int key_bit_width(uint32_t v) {
  return std::bit_width(v);
}

int key_bit_width(U128 v) {
  uint64_t high = static_cast<uint64_t>(v >> 64);
  return high != 0 ? 64 + std::bit_width(high) : std::bit_width(static_cast<uint64_t>(v));
}

// Sorts by start and folds overlapping and adjacent ranges into one, in place.
template <typename Range>
void sort_and_merge(std::vector<Range>& ranges) {
  using Key = decltype(Range::first);
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  size_t out = 0;
  for (const Range& r : ranges) {
    if (out > 0) {
      Range& prev = ranges[out - 1];
      // prev.last == max means prev already reaches the top of the address space.
      if (prev.last == std::numeric_limits<Key>::max() || r.first <= prev.last + 1) {
        prev.last = std::max(prev.last, r.last);
        continue;
      }
    }
    ranges[out++] = r;
  }
  ranges.resize(out);
}

std::string system_message(int err) {
  return std::system_category().message(err);
}

// Bad lines come from a feed and may hold anything: quoted, escaped and shortened.
std::string quote_line(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

std::string_view trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// Reads at most max_bytes + 1 bytes: the path may be a pipe or a file still growing, so
// the size from stat() is only a hint.
bool read_limited(const std::string& path, size_t max_bytes, std::string& data,
                  std::vector<IpListError>& errors) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    errors.push_back({0, fmt::format("cannot open \"{}\": {}", path, system_message(errno))});
    return false;
  }
  size_t limit = max_bytes == std::numeric_limits<size_t>::max() ? max_bytes : max_bytes + 1;
  size_t capacity = 64 * 1024;
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    capacity = static_cast<size_t>(st.st_size) + 1;  // +1 sees EOF without growing
  }
  data.resize(std::min(capacity, limit));
  size_t used = 0;
  int read_errno = 0;
  while (used < limit) {
    if (used == data.size()) data.resize(std::min(limit, data.size() * 2));
    ssize_t n = ::read(fd, data.data() + used, data.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      read_errno = errno;
      break;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(used);
  if (read_errno != 0) {
    errors.push_back({0, fmt::format("cannot read \"{}\": {}", path, system_message(read_errno))});
    return false;
  }
  if (used > max_bytes) {
    errors.push_back({0, fmt::format("the file is larger than the limit of {} bytes", max_bytes)});
    return false;
  }
  return true;
}

}  // namespace

void IpRangeSet::Builder::add(const Cidr& cidr) {
  ++added_;
  // Host bits are masked here too, so a Cidr built by hand with them set behaves as
  // Cidr::contains does (it compares only the prefix bits).
  if (cidr.base.v4) {
    int len = std::clamp(cidr.prefix_len, 0, 32);
    uint32_t host = len >= 32 ? 0 : ~uint32_t{0} >> len;
    uint32_t first = load_be32(cidr.base.bytes.data() + 12) & ~host;
    v4_.push_back({first, first | host});
    return;
  }
  int len = std::clamp(cidr.prefix_len, 0, 128);
  U128 host = len >= 128 ? 0 : ~U128{0} >> len;
  U128 first = load_key(cidr.base.bytes) & ~host;
  U128 last = first | host;
  v6_.push_back({first, last});
  // contains() looks IPv4-mapped addresses up in the IPv4 table only, so the part of
  // this prefix inside ::ffff:0:0/96 goes there as well.
  if (first <= kMappedLast && last >= kMappedFirst) {
    v4_.push_back({static_cast<uint32_t>(std::max(first, kMappedFirst)),
                   static_cast<uint32_t>(std::min(last, kMappedLast))});
  }
}

void IpRangeSet::Builder::add_set(const IpRangeSet& set) {
  added_ += set.entries_;
  // The IPv4 table already holds the IPv4-mapped part of IPv6 prefixes, so copying
  // both tables as they are keeps lookups identical.
  v4_.insert(v4_.end(), set.v4_.ranges.begin(), set.v4_.ranges.end());
  v6_.insert(v6_.end(), set.v6_.ranges.begin(), set.v6_.ranges.end());
}

IpRangeSet IpRangeSet::Builder::build() && {
  IpRangeSet set;
  set.entries_ = added_;
  sort_and_merge(v4_);
  sort_and_merge(v6_);
  set.v4_.build(std::move(v4_));
  set.v6_.build(std::move(v6_));
  v4_ = {};
  v6_ = {};
  added_ = 0;
  return set;
}

template <typename Key>
void IpRangeSet::Table<Key>::build(std::vector<Range<Key>>&& sorted_disjoint) {
  ranges = std::move(sorted_disjoint);
  ranges.shrink_to_fit();
  index.clear();
  shift = 0;
  size_t n = ranges.size();
  if (n == 0) {
    min = 1;
    max = 0;
    return;
  }
  min = ranges.front().first;
  max = ranges.back().last;
  if (n <= kMaxScan / 2 || n > std::numeric_limits<uint32_t>::max()) return;

  // Two to four buckets per cache line of ranges, so a lookup reads one index line and
  // one or two lines of ranges: at a million ranges that measured faster than a small
  // index that stays in cache but leaves several lines of ranges to scan per lookup.
  // The index costs an eighth to a quarter of the ranges' memory.
  size_t lines = n * sizeof(Range<Key>) / 64;
  int bits = std::min(kMaxIndexBits, static_cast<int>(std::bit_width(lines)) + 1);
  shift = std::max(0, key_bit_width(static_cast<Key>(max - min)) - bits);
  size_t buckets = static_cast<size_t>((max - min) >> shift) + 1;
  index.resize(buckets + 1);
  // index[b]: the first range ending at or after bucket b's first key. Ranges are
  // disjoint and sorted, so their ends ascend too and one sweep fills the index.
  size_t r = 0;
  for (size_t b = 0; b < buckets; ++b) {
    Key start = min + (static_cast<Key>(b) << shift);
    while (ranges[r].last < start) ++r;
    index[b] = static_cast<uint32_t>(r);
  }
  index[buckets] = static_cast<uint32_t>(n - 1);
}

// The last range in [lo, hi] that starts at or before key, or lo - 1 when none does.
template <typename Key>
size_t IpRangeSet::Table<Key>::last_start_at_or_before(Key key, size_t lo, size_t hi) const {
  size_t count = hi - lo + 1;
  while (count > 0) {
    size_t half = count / 2;
    if (ranges[lo + half].first <= key) {
      lo += half + 1;
      count -= half + 1;
    } else {
      count = half;
    }
  }
  return lo - 1;
}

template <typename Key>
bool IpRangeSet::Table<Key>::contains(Key key) const {
  if (key < min || key > max) return false;
  size_t lo = 0;
  size_t hi = ranges.size() - 1;
  if (!index.empty()) {
    size_t b = static_cast<size_t>((key - min) >> shift);
    lo = index[b];
    hi = index[b + 1];
  }
  size_t j;
  if (hi - lo < kMaxScan) [[likely]] {
    // Counting the starts at or below key instead of searching for them: the only
    // branch is on the bucket size, known as soon as the index is read, so the CPU
    // overlaps the cache misses of consecutive lookups instead of stalling on
    // mispredicted search steps. key >= min makes count >= 1 when lo is 0.
    const Range<Key>* r = ranges.data() + lo;
    size_t count = 0;
    for (size_t i = 0, n = hi - lo + 1; i < n; ++i) count += r[i].first <= key;
    j = lo + count - 1;
  } else {
    j = last_start_at_or_before(key, lo, hi);
  }
  // j == lo - 1 is fine: that range ends before bucket b, so before key.
  return key <= ranges[j].last;
}

bool IpRangeSet::contains(const IpAddress& ip) const {
  uint64_t high = load_be64(ip.bytes.data());
  uint64_t low = load_be64(ip.bytes.data() + 8);
  // Decided by the bytes alone, as Cidr::contains does: ::ffff:a.b.c.d is a.b.c.d.
  if (high == 0 && (low >> 32) == 0xffff) return v4_.contains(static_cast<uint32_t>(low));
  return v6_.contains(U128{high} << 64 | low);
}

size_t IpRangeSet::range_count() const {
  return v4_.ranges.size() + v6_.ranges.size();
}

size_t IpRangeSet::memory_bytes() const {
  return sizeof(*this) + v4_.memory_bytes() + v6_.memory_bytes();
}

std::string IpListError::to_string() const {
  if (line == 0) return message;
  return fmt::format("line {}: {}", line, message);
}

IpListLoad load_ip_list_file(const std::string& path, size_t max_entries, size_t max_bytes) {
  IpListLoad out;
  std::string data;
  if (!read_limited(path, max_bytes, data, out.errors)) return out;
  return parse_ip_list(data, max_entries);
}

IpListLoad parse_ip_list(std::string_view text, size_t max_entries) {
  IpListLoad out;
  // Feeds saved by some Windows tools start with a UTF-8 byte order mark.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);

  IpRangeSet::Builder builder;
  std::vector<IpListError> bad_lines;
  size_t bad_count = 0;
  size_t entries = 0;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    // Whole-line and trailing comments alike: nothing valid contains '#'.
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    auto cidr = Cidr::parse(line);
    if (!cidr) {
      if (bad_count++ < kMaxReportedErrors) {
        bad_lines.push_back(
            {line_no, fmt::format("{} is not an IP address or CIDR prefix", quote_line(line))});
      }
      continue;
    }
    // Past the limit the file is refused anyway; keep counting (for the message) and
    // checking lines, but stop growing the builder.
    if (++entries <= max_entries) builder.add(*cidr);
  }

  out.entries = entries;
  if (entries > max_entries) {
    out.errors.push_back({0, fmt::format("the file has {} entries, more than the limit of {}",
                                         entries, max_entries)});
  }
  for (IpListError& e : bad_lines) out.errors.push_back(std::move(e));
  if (bad_count > kMaxReportedErrors) {
    size_t more = bad_count - kMaxReportedErrors;
    out.errors.push_back({0, fmt::format("and {} more bad line{}", more, more == 1 ? "" : "s")});
  }
  if (!out.errors.empty()) return out;
  out.set = std::make_shared<const IpRangeSet>(std::move(builder).build());
  return out;
}

}  // namespace rampart::core
