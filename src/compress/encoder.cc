#include "compress/encoder.h"

#include <cstdlib>
#include <cstring>

#include "compress/encoder_internal.h"

namespace rampart::compress {
namespace detail {
namespace {

// Room for the size in front of each block, keeping max_align_t alignment.
constexpr size_t kPrefix = alignof(std::max_align_t);

}  // namespace

void* MemoryCounter::allocate(void* counter, size_t size) {
  auto* block = static_cast<unsigned char*>(std::malloc(size + kPrefix));
  if (block == nullptr) return nullptr;
  std::memcpy(block, &size, sizeof size);
  static_cast<MemoryCounter*>(counter)->bytes += size;
  return block + kPrefix;
}

void MemoryCounter::release(void* counter, void* address) {
  if (address == nullptr) return;
  unsigned char* block = static_cast<unsigned char*>(address) - kPrefix;
  size_t size = 0;
  std::memcpy(&size, block, sizeof size);
  static_cast<MemoryCounter*>(counter)->bytes -= size;
  std::free(block);
}

int window_log_for(uint64_t n, int low, int high) {
  int b = low;
  while (b < high && (uint64_t{1} << b) < n) ++b;
  return b;
}

}  // namespace detail

int default_level(Coding coding, Use use) {
  const bool fly = use == Use::kOnTheFly;
  switch (coding) {
    case Coding::kGzip:
      return fly ? 5 : 9;
    case Coding::kBrotli:
      return fly ? 5 : 6;
    case Coding::kZstd:
      return fly ? 3 : 12;
    case Coding::kIdentity:
      break;
  }
  return 0;
}

std::unique_ptr<Encoder> make_encoder(Coding coding, int level, uint64_t size_hint, Use use) {
  switch (coding) {
    case Coding::kGzip:
      return detail::make_gzip_encoder(level, size_hint, use);
    case Coding::kBrotli:
      return detail::make_brotli_encoder(level, size_hint, use);
    case Coding::kZstd:
      return detail::make_zstd_encoder(level, size_hint, use);
    case Coding::kIdentity:
      break;
  }
  return nullptr;
}

}  // namespace rampart::compress
