#pragma once
// Shared by the encoder implementations; internal to compress/.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "compress/encoder.h"

namespace rampart::compress::detail {

// Counts what a library allocates through it (zlib and brotli take custom allocators),
// so memory_bytes() reports the truth rather than a formula.
struct MemoryCounter {
  size_t bytes = 0;
  static void* allocate(void* counter, size_t size);
  static void release(void* counter, void* address);
};

// The smallest b with 2^b >= n, within [low, high].
int window_log_for(uint64_t n, int low, int high);

std::unique_ptr<Encoder> make_gzip_encoder(int level, uint64_t size_hint, Use use);
std::unique_ptr<Encoder> make_brotli_encoder(int level, uint64_t size_hint, Use use);
std::unique_ptr<Encoder> make_zstd_encoder(int level, uint64_t size_hint, Use use);

}  // namespace rampart::compress::detail
