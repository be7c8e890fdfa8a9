#pragma once
// The disk tier's file format: one CachedObject and its full cache key per file.
//
//   fixed part (kFixedBytes, little-endian): magic, version, status, request and
//     response times, the lengths of every section, the edge lifetime a cache rule set
//     (-1: none), the tail checksum, the head checksum
//   key | tags (u32 length + bytes, each) | vary key | fields (u32 name length,
//     u32 value length, name, value, each) | body
//
// The head checksum (XXH3-64) covers the fixed part before it plus key and tags: what
// the index rebuild reads at startup, so it can trust a file without reading its body.
// The tail checksum covers vary key, fields and body, and is checked on every load.
// Decoding takes untrusted bytes (a file may be truncated, flipped or not ours): every
// length is bounded and checked against the bytes present, errors are values, and a
// record is canonical (encode(decode(bytes)) == bytes).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cached_object.h"

namespace rampart::cache {

inline constexpr uint32_t kRecordMagic = 0x43445052;  // "RPDC" on disk
inline constexpr uint16_t kRecordVersion = 2;
inline constexpr size_t kFixedBytes = 80;
inline constexpr size_t kEdgeLifetimeOffset = 56;
inline constexpr size_t kTailChecksumOffset = 64;
inline constexpr size_t kHeadChecksumOffset = 72;

// Bounds a decoder accepts; an encoder refuses an object beyond them.
inline constexpr size_t kMaxRecordKey = 64u << 10;
inline constexpr size_t kMaxRecordTagBytes = 64u << 10;
inline constexpr size_t kMaxRecordTags = 1024;
inline constexpr size_t kMaxRecordVary = 64u << 10;
inline constexpr size_t kMaxRecordFields = 4096;
inline constexpr size_t kMaxRecordFieldBytes = 4u << 20;
inline constexpr uint64_t kMaxRecordBody = 1ull << 30;  // the config's max_object_size cap

enum class RecordError : uint8_t {
  kOk,
  kTruncated,    // fewer bytes than the record says it has
  kTooLong,      // more bytes than the record says it has
  kBadMagic,     // not a record of ours
  kBadVersion,   // a format this build does not read
  kBadLength,    // a section length beyond its bound or inconsistent with its count
  kBadField,     // a section does not parse as its items
  kBadChecksum,  // the bytes are not the ones written
};

std::string_view record_error_name(RecordError error);

// The fixed part, decoded but not yet verified against the rest.
struct RecordLayout {
  int status = 0;
  int64_t request_time = 0;
  int64_t response_time = 0;
  uint32_t key_bytes = 0;
  uint32_t tag_bytes = 0;
  uint32_t tag_count = 0;
  uint32_t vary_bytes = 0;
  uint32_t field_count = 0;
  uint32_t field_bytes = 0;
  uint64_t body_bytes = 0;
  int64_t edge_lifetime = -1;
  uint64_t tail_checksum = 0;
  uint64_t head_checksum = 0;

  // Fixed part, key and tags: what the index needs.
  uint64_t head_bytes() const { return kFixedBytes + key_bytes + tag_bytes; }
  // Everything before the body.
  uint64_t meta_bytes() const { return head_bytes() + vary_bytes + field_bytes; }
  uint64_t total_bytes() const { return meta_bytes() + body_bytes; }
};

// The record of `object` stored under `key`, or an empty string when a section is
// beyond the bounds above.
std::string encode_record(std::string_view key, const CachedObject& object);

// Decodes the fixed part from the first kFixedBytes of `bytes` (more may follow).
RecordError decode_layout(std::string_view bytes, RecordLayout& out);

// What the index keeps of a record: decoded from at least layout.head_bytes() bytes
// and verified by the head checksum.
struct RecordHead {
  std::string key;
  std::vector<std::string> tags;
};
RecordError decode_head(std::string_view bytes, const RecordLayout& layout, RecordHead& out);

// A whole record, verified by both checksums. `bytes` must be exactly the record.
struct DecodedRecord {
  std::string key;
  std::shared_ptr<const CachedObject> object;
};
RecordError decode_record(std::string_view bytes, DecodedRecord& out);

}  // namespace rampart::cache
