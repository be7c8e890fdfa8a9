#include "cache/disk_record.h"

// The state type, for a checksum over two ranges without copying them together.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstring>

namespace rampart::cache {

namespace {

// Byte-wise little-endian, so files move between hosts and no read is unaligned.
void put(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_at(std::string& out, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

uint64_t get(std::string_view in, size_t at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  }
  return value;
}

void put_text(std::string& out, std::string_view text) {
  put(out, text.size(), 4);
  out.append(text);
}

// Reads a u32 length and that many bytes from `in` at `pos`; false if they are not there.
bool take_text(std::string_view in, size_t& pos, std::string_view& text) {
  if (in.size() - pos < 4) return false;
  const uint64_t n = get(in, pos, 4);
  pos += 4;
  if (in.size() - pos < n) return false;
  text = in.substr(pos, n);
  pos += n;
  return true;
}

uint64_t head_checksum(std::string_view bytes, const RecordLayout& layout) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, bytes.data(), kHeadChecksumOffset);
  XXH3_64bits_update(&state, bytes.data() + kFixedBytes, layout.key_bytes + layout.tag_bytes);
  return XXH3_64bits_digest(&state);
}

uint64_t tail_checksum(std::string_view bytes, const RecordLayout& layout) {
  const uint64_t from = layout.head_bytes();
  return XXH3_64bits(bytes.data() + from, layout.total_bytes() - from);
}

}  // namespace

std::string_view record_error_name(RecordError error) {
  switch (error) {
    case RecordError::kOk:
      return "ok";
    case RecordError::kTruncated:
      return "truncated";
    case RecordError::kTooLong:
      return "too long";
    case RecordError::kBadMagic:
      return "bad magic";
    case RecordError::kBadVersion:
      return "bad version";
    case RecordError::kBadLength:
      return "bad length";
    case RecordError::kBadField:
      return "bad field";
    case RecordError::kBadChecksum:
      return "bad checksum";
  }
  return "unknown";
}

std::string encode_record(std::string_view key, const CachedObject& object) {
  size_t tag_bytes = 0;
  for (const std::string& t : object.tags()) tag_bytes += 4 + t.size();
  size_t field_bytes = 0;
  for (const http::Header& h : object.headers()) field_bytes += 8 + h.name.size() + h.value.size();
  if (key.empty() || key.size() > kMaxRecordKey || tag_bytes > kMaxRecordTagBytes ||
      object.tags().size() > kMaxRecordTags || object.vary_key().size() > kMaxRecordVary ||
      object.headers().size() > kMaxRecordFields || field_bytes > kMaxRecordFieldBytes ||
      object.body().size() > kMaxRecordBody || object.status() < 100 || object.status() > 999) {
    return {};
  }
  RecordLayout layout;
  layout.key_bytes = static_cast<uint32_t>(key.size());
  layout.tag_bytes = static_cast<uint32_t>(tag_bytes);
  layout.vary_bytes = static_cast<uint32_t>(object.vary_key().size());
  layout.field_bytes = static_cast<uint32_t>(field_bytes);
  layout.body_bytes = object.body().size();

  std::string out;
  out.reserve(layout.total_bytes());
  put(out, kRecordMagic, 4);
  put(out, kRecordVersion, 2);
  put(out, static_cast<uint64_t>(object.status()), 2);
  put(out, static_cast<uint64_t>(object.request_time()), 8);
  put(out, static_cast<uint64_t>(object.response_time()), 8);
  put(out, layout.key_bytes, 4);
  put(out, layout.tag_bytes, 4);
  put(out, object.tags().size(), 4);
  put(out, layout.vary_bytes, 4);
  put(out, object.headers().size(), 4);
  put(out, layout.field_bytes, 4);
  put(out, layout.body_bytes, 8);
  put(out, static_cast<uint64_t>(object.edge_lifetime()), 8);
  put(out, 0, 8);  // tail checksum, filled in below
  put(out, 0, 8);  // head checksum
  out.append(key);
  for (const std::string& t : object.tags()) put_text(out, t);
  out.append(object.vary_key());
  for (const http::Header& h : object.headers()) {
    put(out, h.name.size(), 4);
    put(out, h.value.size(), 4);
    out.append(h.name);
    out.append(h.value);
  }
  out.append(object.body());
  put_at(out, kTailChecksumOffset, tail_checksum(out, layout));
  put_at(out, kHeadChecksumOffset, head_checksum(out, layout));
  return out;
}

RecordError decode_layout(std::string_view bytes, RecordLayout& out) {
  if (bytes.size() < kFixedBytes) return RecordError::kTruncated;
  if (get(bytes, 0, 4) != kRecordMagic) return RecordError::kBadMagic;
  if (get(bytes, 4, 2) != kRecordVersion) return RecordError::kBadVersion;
  RecordLayout l;
  l.status = static_cast<int>(get(bytes, 6, 2));
  l.request_time = static_cast<int64_t>(get(bytes, 8, 8));
  l.response_time = static_cast<int64_t>(get(bytes, 16, 8));
  l.key_bytes = static_cast<uint32_t>(get(bytes, 24, 4));
  l.tag_bytes = static_cast<uint32_t>(get(bytes, 28, 4));
  l.tag_count = static_cast<uint32_t>(get(bytes, 32, 4));
  l.vary_bytes = static_cast<uint32_t>(get(bytes, 36, 4));
  l.field_count = static_cast<uint32_t>(get(bytes, 40, 4));
  l.field_bytes = static_cast<uint32_t>(get(bytes, 44, 4));
  l.body_bytes = get(bytes, 48, 8);
  l.edge_lifetime = static_cast<int64_t>(get(bytes, kEdgeLifetimeOffset, 8));
  l.tail_checksum = get(bytes, kTailChecksumOffset, 8);
  l.head_checksum = get(bytes, kHeadChecksumOffset, 8);
  // Each count is bounded by its section's bytes (an item takes at least its length
  // prefixes), so a decoder never reserves more than the bytes present.
  if (l.status < 100 || l.status > 999 || l.key_bytes == 0 || l.key_bytes > kMaxRecordKey ||
      l.tag_bytes > kMaxRecordTagBytes || l.tag_count > kMaxRecordTags ||
      uint64_t{l.tag_count} * 4 > l.tag_bytes || l.vary_bytes > kMaxRecordVary ||
      l.field_count > kMaxRecordFields || l.field_bytes > kMaxRecordFieldBytes ||
      uint64_t{l.field_count} * 8 > l.field_bytes || l.body_bytes > kMaxRecordBody) {
    return RecordError::kBadLength;
  }
  out = l;
  return RecordError::kOk;
}

RecordError decode_head(std::string_view bytes, const RecordLayout& layout, RecordHead& out) {
  if (bytes.size() < layout.head_bytes()) return RecordError::kTruncated;
  if (head_checksum(bytes, layout) != layout.head_checksum) return RecordError::kBadChecksum;
  RecordHead head;
  head.key.assign(bytes.substr(kFixedBytes, layout.key_bytes));
  const std::string_view tags = bytes.substr(kFixedBytes + layout.key_bytes, layout.tag_bytes);
  head.tags.reserve(layout.tag_count);
  size_t pos = 0;
  for (uint32_t i = 0; i < layout.tag_count; ++i) {
    std::string_view tag;
    if (!take_text(tags, pos, tag)) return RecordError::kBadField;
    head.tags.emplace_back(tag);
  }
  if (pos != tags.size()) return RecordError::kBadField;
  out = std::move(head);
  return RecordError::kOk;
}

RecordError decode_record(std::string_view bytes, DecodedRecord& out) {
  RecordLayout layout;
  if (RecordError e = decode_layout(bytes, layout); e != RecordError::kOk) return e;
  if (bytes.size() < layout.total_bytes()) return RecordError::kTruncated;
  if (bytes.size() > layout.total_bytes()) return RecordError::kTooLong;
  RecordHead head;
  if (RecordError e = decode_head(bytes, layout, head); e != RecordError::kOk) return e;
  if (tail_checksum(bytes, layout) != layout.tail_checksum) return RecordError::kBadChecksum;

  size_t pos = layout.head_bytes();
  const std::string_view vary = bytes.substr(pos, layout.vary_bytes);
  pos += layout.vary_bytes;
  const std::string_view fields = bytes.substr(pos, layout.field_bytes);
  std::vector<http::Header> headers;
  headers.reserve(layout.field_count);
  size_t at = 0;
  for (uint32_t i = 0; i < layout.field_count; ++i) {
    if (fields.size() - at < 8) return RecordError::kBadField;
    const uint64_t name_bytes = get(fields, at, 4);
    const uint64_t value_bytes = get(fields, at + 4, 4);
    at += 8;
    if (fields.size() - at < name_bytes || fields.size() - at - name_bytes < value_bytes) {
      return RecordError::kBadField;
    }
    headers.push_back({fields.substr(at, name_bytes), fields.substr(at + name_bytes, value_bytes)});
    at += name_bytes + value_bytes;
  }
  if (at != fields.size()) return RecordError::kBadField;
  const std::string_view body = bytes.substr(layout.meta_bytes(), layout.body_bytes);
  out.key = std::move(head.key);
  out.object = std::make_shared<const CachedObject>(
      layout.status, headers, std::string(body), layout.request_time, layout.response_time,
      std::move(head.tags), std::string(vary), layout.edge_lifetime);
  return RecordError::kOk;
}

}  // namespace rampart::cache
