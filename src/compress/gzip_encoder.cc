// gzip (RFC 1952) through zlib's deflate with the gzip wrapper.

#include <zlib.h>

#include <algorithm>

#include "compress/encoder_internal.h"

namespace rampart::compress::detail {
namespace {

// Output grows in steps of at least this much; deflate writes straight into `out`.
constexpr size_t kMinRoom = 4096;
constexpr size_t kMaxRoom = 64 * 1024;
constexpr size_t kMaxPiece = size_t{1} << 30;

// deflate's memory is (1 << (window_bits + 2)) + (1 << (mem_level + 9)) plus ~6 KiB:
// 32 KiB window and mem_level 8 (zlib's defaults) is ~262 KiB. On the fly we keep the
// 32 KiB window (the format's maximum; text matches reach that far) but use mem_level
// 7: the hash table and pending buffer halve (~196 KiB) for well under 1% of ratio.
// Stored objects get mem_level 9 (~390 KiB). A known small body shrinks both.
class GzipEncoder final : public Encoder {
 public:
  GzipEncoder() : Encoder(Coding::kGzip) {}
  ~GzipEncoder() override {
    if (state_ != State::kUnset) deflateEnd(&z_);
  }

  bool init(int level, uint64_t size_hint, Use use) {
    z_.zalloc = [](voidpf opaque, uInt items, uInt size) -> voidpf {
      return MemoryCounter::allocate(opaque, static_cast<size_t>(items) * size);
    };
    z_.zfree = [](voidpf opaque, voidpf address) { MemoryCounter::release(opaque, address); };
    z_.opaque = &memory_;
    int window_bits = 15;
    int mem_level = use == Use::kOnTheFly ? 7 : 9;
    if (size_hint > 0) {
      // Same as the window the body needs, and the hash table with it (as nginx does).
      const int needed = window_log_for(size_hint, 9, 15);
      mem_level = std::max(1, mem_level - (window_bits - needed));
      window_bits = needed;
    }
    level = std::clamp(level, 1, 9);
    if (deflateInit2(&z_, level, Z_DEFLATED, window_bits + 16, mem_level, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
      return false;
    }
    state_ = State::kOpen;
    return true;
  }

  bool compress(std::string_view input, std::string& out) override {
    // avail_in is 32 bits wide.
    while (input.size() > kMaxPiece) {
      if (!run(input.substr(0, kMaxPiece), Z_NO_FLUSH, out)) return false;
      input.remove_prefix(kMaxPiece);
    }
    return run(input, Z_NO_FLUSH, out);
  }
  bool flush(std::string& out) override { return run({}, Z_SYNC_FLUSH, out); }
  bool finish(std::string& out) override {
    if (!run({}, Z_FINISH, out)) return false;
    state_ = State::kDone;
    return true;
  }
  size_t memory_bytes() const override { return memory_.bytes; }

 private:
  enum class State : uint8_t { kUnset, kOpen, kDone, kFailed };

  bool run(std::string_view input, int mode, std::string& out) {
    if (state_ != State::kOpen) return false;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z_.avail_in = static_cast<uInt>(input.size());
    for (;;) {
      const size_t room =
          std::clamp<size_t>(deflateBound(&z_, z_.avail_in) / 2, kMinRoom, kMaxRoom);
      const size_t before = out.size();
      out.resize(before + room);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + before);
      z_.avail_out = static_cast<uInt>(room);
      const int rc = deflate(&z_, mode);
      out.resize(before + room - z_.avail_out);
      if (rc == Z_STREAM_END) return true;  // only with Z_FINISH
      // Z_BUF_ERROR only says no progress was possible; with room left that means done,
      // except when finishing, which always has something to write.
      if (rc != Z_OK && (rc != Z_BUF_ERROR || mode == Z_FINISH)) {
        state_ = State::kFailed;
        return false;
      }
      if (z_.avail_out != 0 && z_.avail_in == 0 && mode != Z_FINISH) return true;
    }
  }

  z_stream z_{};
  MemoryCounter memory_;
  State state_ = State::kUnset;
};

}  // namespace

std::unique_ptr<Encoder> make_gzip_encoder(int level, uint64_t size_hint, Use use) {
  auto encoder = std::make_unique<GzipEncoder>();
  if (!encoder->init(level, size_hint, use)) return nullptr;
  return encoder;
}

}  // namespace rampart::compress::detail
