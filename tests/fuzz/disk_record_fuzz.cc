// Fuzzes the disk tier's record decoder with what a damaged or foreign file may hold.
// The first byte chooses whether the checksums are recomputed over the rest before it
// is decoded: without that, almost every mutation stops at the checksum and the field
// parsers behind it would go unexercised.

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cache/disk_record.h"
#include "fuzz_check.h"

namespace {

using namespace rampart::cache;

void put_u64(std::string& bytes, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

// Makes the checksums match whatever the sections now hold, as a writer would have.
void reseal(std::string& bytes) {
  RecordLayout layout;
  if (decode_layout(bytes, layout) != RecordError::kOk) return;
  if (bytes.size() < layout.total_bytes()) return;
  bytes.resize(layout.total_bytes());
  const size_t head = layout.head_bytes();
  put_u64(bytes, kTailChecksumOffset, XXH3_64bits(bytes.data() + head, bytes.size() - head));
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, bytes.data(), kHeadChecksumOffset);
  XXH3_64bits_update(&state, bytes.data() + kFixedBytes, head - kFixedBytes);
  put_u64(bytes, kHeadChecksumOffset, XXH3_64bits_digest(&state));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) reseal(bytes);

  RecordLayout layout;
  const RecordError layout_error = decode_layout(bytes, layout);
  DecodedRecord record;
  const RecordError error = decode_record(bytes, record);
  if (error != RecordError::kOk) {
    FUZZ_CHECK(record.object == nullptr);
    FUZZ_CHECK(!record_error_name(error).empty());
    return 0;
  }
  FUZZ_CHECK(layout_error == RecordError::kOk);
  FUZZ_CHECK(layout.total_bytes() == bytes.size());
  const CachedObject& o = *record.object;
  FUZZ_CHECK(o.status() >= 100 && o.status() <= 999);
  FUZZ_CHECK(!record.key.empty() && record.key.size() <= kMaxRecordKey);
  FUZZ_CHECK(o.body().size() == layout.body_bytes);
  FUZZ_CHECK(o.headers().size() == layout.field_count);
  FUZZ_CHECK(o.tags().size() == layout.tag_count);

  // The head alone agrees with the whole record.
  RecordHead head;
  FUZZ_CHECK(decode_head(std::string_view(bytes).substr(0, layout.head_bytes()), layout, head) ==
             RecordError::kOk);
  FUZZ_CHECK(head.key == record.key);
  FUZZ_CHECK(head.tags == o.tags());

  // Canonical: what decodes encodes back to the same bytes.
  FUZZ_CHECK(encode_record(record.key, o) == bytes);
  return 0;
}
