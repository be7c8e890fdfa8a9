#pragma once
// Range requests on a representation of known length (RFC 9110 §14): parsing
// `Range: bytes=…` into the byte ranges to send, and the Content-Range values.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::cache {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive; first <= last < length
  bool operator==(const ByteRange&) const = default;
};

enum class RangeStatus : uint8_t {
  kIgnore,         // no usable Range: send the full representation (200)
  kSatisfiable,    // send 206 with `ranges`
  kUnsatisfiable,  // send 416 with Content-Range: bytes */length
};

struct RangeLimits {
  // More range-specs than this and the Range field is ignored (200), which RFC 9110
  // §14.2 allows; it bounds the work and the multipart overhead a request can cause.
  size_t max_ranges = 16;
  // Many small or overlapping ranges are a known amplification (§17.15): ignore the
  // field when specs overlap more than this many times before coalescing.
  size_t max_overlaps = 2;
};

struct RangeResult {
  RangeStatus status = RangeStatus::kIgnore;
  std::vector<ByteRange> ranges;  // ascending, disjoint and non-adjacent when satisfiable
};

// Parses a Range field value against a representation of `length` bytes. Only the
// "bytes" unit (case-insensitive) is understood; another unit or a syntax error means
// the field is ignored (§14.2). Overlapping or adjacent ranges are coalesced.
RangeResult parse_range(std::string_view value, uint64_t length, const RangeLimits& limits = {});

// "bytes 0-499/1234" for a 206, and "bytes */1234" for a 416 (§14.4).
std::string format_content_range(const ByteRange& range, uint64_t length);
std::string format_unsatisfied_range(uint64_t length);

// The body of a multipart/byteranges 206 (§14.6) carrying `ranges` of `body`, each
// part with its Content-Type (omitted when empty) and Content-Range. `boundary` must
// not occur in `body`; callers pass a unique one.
std::string multipart_byteranges(std::string_view body, const std::vector<ByteRange>& ranges,
                                 std::string_view content_type, std::string_view boundary);

}  // namespace rampart::cache
