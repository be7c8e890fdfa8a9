#include "cache/range.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "cache/field_text.h"

namespace rampart::cache {

namespace {

constexpr uint64_t kHuge = std::numeric_limits<uint64_t>::max();

// 1*DIGIT; values beyond uint64 saturate, which past any real length means the same.
std::optional<uint64_t> parse_digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (!detail::is_digit(c)) return std::nullopt;
    const auto d = static_cast<uint64_t>(c - '0');
    v = v > (kHuge - d) / 10 ? kHuge : v * 10 + d;
  }
  return v;
}

// One range-spec: first-last, first-, or -suffix. False on a syntax error; `range`
// unset (but no error) when the spec is well-formed and unsatisfiable.
bool parse_spec(std::string_view spec, uint64_t length, std::optional<ByteRange>& range) {
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return false;
  const std::string_view left = spec.substr(0, dash);
  const std::string_view right = spec.substr(dash + 1);
  range.reset();
  if (left.empty()) {  // suffix-range
    const std::optional<uint64_t> suffix = parse_digits(right);
    if (!suffix) return false;
    // A suffix longer than the representation selects all of it (§14.1.1).
    if (*suffix > 0 && length > 0)
      range = ByteRange{length - std::min(*suffix, length), length - 1};
    return true;
  }
  const std::optional<uint64_t> first = parse_digits(left);
  if (!first) return false;
  std::optional<uint64_t> last;
  if (!right.empty()) {
    last = parse_digits(right);
    if (!last || *last < *first) return false;  // invalid, not merely unsatisfiable
  }
  if (*first >= length) return true;
  range = ByteRange{*first, last ? std::min(*last, length - 1) : length - 1};
  return true;
}

}  // namespace

RangeResult parse_range(std::string_view value, uint64_t length, const RangeLimits& limits) {
  RangeResult out;
  value = detail::trim_ows(value);
  const size_t eq = value.find('=');
  if (eq == std::string_view::npos || !http::iequals(value.substr(0, eq), "bytes")) return out;

  std::vector<ByteRange> ranges;
  size_t specs = 0;
  size_t overlaps = 0;
  bool syntax_ok = true;
  detail::for_each_list_element(value.substr(eq + 1), [&](std::string_view spec) {
    if (++specs > limits.max_ranges) return false;
    std::optional<ByteRange> r;
    if (!parse_spec(spec, length, r)) {
      syntax_ok = false;
      return false;
    }
    if (r) {
      for (const ByteRange& prev : ranges) {
        if (r->first <= prev.last && prev.first <= r->last) ++overlaps;
      }
      ranges.push_back(*r);
    }
    return true;
  });
  // Quoted strings and empty lists are not range-sets.
  if (!syntax_ok || specs == 0 || specs > limits.max_ranges || overlaps > limits.max_overlaps ||
      value.substr(eq + 1).find('"') != std::string_view::npos) {
    return out;
  }
  if (ranges.empty()) {
    out.status = RangeStatus::kUnsatisfiable;
    return out;
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const ByteRange& a, const ByteRange& b) { return a.first < b.first; });
  for (const ByteRange& r : ranges) {
    // Coalesce overlapping and adjacent ranges (last + 1 cannot overflow: last < length).
    if (!out.ranges.empty() && r.first <= out.ranges.back().last + 1) {
      out.ranges.back().last = std::max(out.ranges.back().last, r.last);
    } else {
      out.ranges.push_back(r);
    }
  }
  out.status = RangeStatus::kSatisfiable;
  return out;
}

std::string format_content_range(const ByteRange& range, uint64_t length) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
         std::to_string(length);
}

std::string format_unsatisfied_range(uint64_t length) {
  return "bytes */" + std::to_string(length);
}

std::string multipart_byteranges(std::string_view body, const std::vector<ByteRange>& ranges,
                                 std::string_view content_type, std::string_view boundary) {
  std::string out;
  for (const ByteRange& r : ranges) {
    out.append("--").append(boundary).append("\r\n");
    if (!content_type.empty()) out.append("Content-Type: ").append(content_type).append("\r\n");
    out.append("Content-Range: ").append(format_content_range(r, body.size())).append("\r\n\r\n");
    out.append(body.substr(r.first, r.last - r.first + 1)).append("\r\n");
  }
  out.append("--").append(boundary).append("--\r\n");
  return out;
}

}  // namespace rampart::cache
