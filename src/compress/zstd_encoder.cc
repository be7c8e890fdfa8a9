// Zstandard (RFC 8878) through ZSTD_compressStream2.

// ZSTD_c_srcSizeHint is still in the "experimental" section of zstd.h (stable since
// 1.4.4 in practice); the shared library accepts it like any other parameter.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>

#include "compress/encoder_internal.h"

namespace rampart::compress::detail {
namespace {

// zstd sizes its tables from the level (level 3: 2 MiB window, 2^17-entry hash and
// 2^16-entry chain tables, ~3.1 MiB per stream; level 12: 8 MiB window and 2^22-entry
// tables, ~40 MiB, which also makes a stream of unknown length slow to start) and
// keeps the whole window plus a 128 KiB block as its input buffer. We cap all three.
// On the fly: 2^17 window, 2^15 / 2^14 tables, ~1.06 MiB, for about 1% of ratio on
// text. Stored: 2^20 window, 2^18 tables, ~4.3 MiB. A known length (a hint, not a
// pledge) shrinks all of it for small bodies.
struct Caps {
  int window_log;
  int hash_log;
  int chain_log;
};
constexpr Caps kOnTheFlyCaps = {17, 15, 14};
constexpr Caps kStoredCaps = {20, 18, 18};

constexpr size_t kMinRoom = 4096;

class ZstdEncoder final : public Encoder {
 public:
  ZstdEncoder() : Encoder(Coding::kZstd) {}
  ~ZstdEncoder() override { ZSTD_freeCCtx(cctx_); }

  bool init(int level, uint64_t size_hint, Use use) {
    cctx_ = ZSTD_createCCtx();
    if (cctx_ == nullptr) return false;
    level = std::clamp(level, 1, ZSTD_maxCLevel());
    bool ok = !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level));
    ok = ok && !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1));
    // Never raise what the level would choose for itself.
    const Caps& caps = use == Use::kOnTheFly ? kOnTheFlyCaps : kStoredCaps;
    const ZSTD_compressionParameters own = ZSTD_getCParams(level, ZSTD_CONTENTSIZE_UNKNOWN, 0);
    const int window = std::min<int>(own.windowLog, caps.window_log);
    const int hash = std::min<int>(own.hashLog, caps.hash_log);
    const int chain = std::min<int>(own.chainLog, caps.chain_log);
    ok = ok && !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_windowLog, window));
    ok = ok && !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_hashLog, hash));
    ok = ok && !ZSTD_isError(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_chainLog, chain));
    if (ok && size_hint > 0) {
      // Not a pledge: a body that turns out longer or shorter must not be an error.
      // The hint only sizes the tables.
      ok = !ZSTD_isError(ZSTD_CCtx_setParameter(
          cctx_, ZSTD_c_srcSizeHint, static_cast<int>(std::min<uint64_t>(size_hint, 1u << 30))));
    }
    return ok;
  }

  bool compress(std::string_view input, std::string& out) override {
    return run(input, ZSTD_e_continue, out);
  }
  bool flush(std::string& out) override { return run({}, ZSTD_e_flush, out); }
  bool finish(std::string& out) override {
    if (!run({}, ZSTD_e_end, out)) return false;
    done_ = true;
    return true;
  }
  size_t memory_bytes() const override { return ZSTD_sizeof_CCtx(cctx_); }

 private:
  bool run(std::string_view input, ZSTD_EndDirective mode, std::string& out) {
    if (failed_ || done_) return false;
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
      const size_t room =
          std::clamp(ZSTD_compressBound(in.size - in.pos) / 2, kMinRoom, ZSTD_CStreamOutSize());
      const size_t before = out.size();
      out.resize(before + room);
      ZSTD_outBuffer buffer{out.data() + before, room, 0};
      const size_t left = ZSTD_compressStream2(cctx_, &buffer, &in, mode);
      out.resize(before + buffer.pos);
      if (ZSTD_isError(left)) {
        failed_ = true;
        return false;
      }
      // continue: done once the input is taken; flush and end: once nothing is left.
      if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) return true;
    }
  }

  ZSTD_CCtx* cctx_ = nullptr;
  bool failed_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Encoder> make_zstd_encoder(int level, uint64_t size_hint, Use use) {
  auto encoder = std::make_unique<ZstdEncoder>();
  if (!encoder->init(level, size_hint, use)) return nullptr;
  return encoder;
}

}  // namespace rampart::compress::detail
