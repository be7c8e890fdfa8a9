// Brotli (RFC 7932) through BrotliEncoderCompressStream.

#include <brotli/encode.h>

#include <algorithm>

#include "compress/encoder_internal.h"

namespace rampart::compress::detail {
namespace {

// Window (lgwin): the format allows up to 16 MiB and the library defaults to 4 MiB.
// What a long stream holds grows with the window and the quality (ring buffer, hash
// table, the commands of the metablock being built): at quality 5, ~1.8 MiB with a
// 2^16 window, ~3 MiB with 2^17, ~4 MiB with 2^18, ~6 MiB with 2^20. On the fly we use
// 2^17 (128 KiB, four times gzip's reach); a known length shrinks the window to the
// body (a 50 KiB page holds ~0.2 MiB). Stored objects get 2^20; at quality 6 a body of
// several MiB then holds ~12 MiB while it is compressed. README.md has the figures.
constexpr int kOnTheFlyWindowLog = 17;
constexpr int kStoredWindowLog = 20;
constexpr size_t kPiece = 16 * 1024;

class BrotliEncoder final : public Encoder {
 public:
  BrotliEncoder() : Encoder(Coding::kBrotli) {}
  ~BrotliEncoder() override {
    if (state_ != nullptr) BrotliEncoderDestroyInstance(state_);
  }

  bool init(int level, uint64_t size_hint, Use use) {
    state_ =
        BrotliEncoderCreateInstance(&MemoryCounter::allocate, &MemoryCounter::release, &memory_);
    if (state_ == nullptr) return false;
    int window_log = use == Use::kOnTheFly ? kOnTheFlyWindowLog : kStoredWindowLog;
    if (size_hint > 0) window_log = window_log_for(size_hint, BROTLI_MIN_WINDOW_BITS, window_log);
    level = std::clamp(level, BROTLI_MIN_QUALITY, BROTLI_MAX_QUALITY);
    bool ok = BrotliEncoderSetParameter(state_, BROTLI_PARAM_QUALITY, static_cast<uint32_t>(level));
    ok = ok &&
         BrotliEncoderSetParameter(state_, BROTLI_PARAM_LGWIN, static_cast<uint32_t>(window_log));
    ok = ok && BrotliEncoderSetParameter(state_, BROTLI_PARAM_MODE, BROTLI_MODE_TEXT);
    if (ok && size_hint > 0) {
      const uint64_t hint = std::min<uint64_t>(size_hint, 1u << 30);
      ok = BrotliEncoderSetParameter(state_, BROTLI_PARAM_SIZE_HINT, static_cast<uint32_t>(hint));
    }
    return ok;
  }

  bool compress(std::string_view input, std::string& out) override {
    // Fed a large input in one call, the encoder grows its metablock buffers to more
    // than twice what the same input costs in 16 KiB pieces (5.6 vs 2.4 MiB for 2 MiB
    // of text), so a whole cached body goes in piece by piece too.
    while (input.size() > kPiece) {
      if (!run(input.substr(0, kPiece), BROTLI_OPERATION_PROCESS, out)) return false;
      input.remove_prefix(kPiece);
    }
    return run(input, BROTLI_OPERATION_PROCESS, out);
  }
  bool flush(std::string& out) override { return run({}, BROTLI_OPERATION_FLUSH, out); }
  bool finish(std::string& out) override {
    if (!run({}, BROTLI_OPERATION_FINISH, out)) return false;
    done_ = true;
    return true;
  }
  size_t memory_bytes() const override { return memory_.bytes; }

 private:
  bool run(std::string_view input, BrotliEncoderOperation op, std::string& out) {
    if (failed_ || done_) return false;
    size_t avail_in = input.size();
    const auto* next_in = reinterpret_cast<const uint8_t*>(input.data());
    for (;;) {
      // No output buffer of ours: the encoder keeps its output and we take it, which
      // saves a copy and sizing a buffer.
      size_t avail_out = 0;
      const size_t in_before = avail_in;
      if (!BrotliEncoderCompressStream(state_, op, &avail_in, &next_in, &avail_out, nullptr,
                                       nullptr)) {
        failed_ = true;
        return false;
      }
      // A flush is complete once a call leaves no output behind (the previous call's
      // output was taken before it).
      const bool had_output = BrotliEncoderHasMoreOutput(state_);
      size_t produced = 0;
      while (BrotliEncoderHasMoreOutput(state_)) {
        size_t size = 0;
        const uint8_t* data = BrotliEncoderTakeOutput(state_, &size);
        out.append(reinterpret_cast<const char*>(data), size);
        produced += size;
      }
      bool done = avail_in == 0;
      if (op == BROTLI_OPERATION_FLUSH) done = done && !had_output;
      if (op == BROTLI_OPERATION_FINISH) done = BrotliEncoderIsFinished(state_);
      if (done) return true;
      if (produced == 0 && avail_in == in_before && op != BROTLI_OPERATION_FLUSH) {
        failed_ = true;  // no progress: the library would spin forever
        return false;
      }
    }
  }

  BrotliEncoderState* state_ = nullptr;
  MemoryCounter memory_;
  bool failed_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Encoder> make_brotli_encoder(int level, uint64_t size_hint, Use use) {
  auto encoder = std::make_unique<BrotliEncoder>();
  if (!encoder->init(level, size_hint, use)) return nullptr;
  return encoder;
}

}  // namespace rampart::compress::detail
