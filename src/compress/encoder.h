#pragma once
// Streaming encoders, one per coding: a response body goes in as it arrives and the
// coded bytes come out, with a flush wherever the sender wants the client to see what
// it has so far.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "compress/coding.h"

namespace rampart::compress {

// What the output is for. On the fly, every response pays the encoder's CPU and memory
// while it streams, so the levels are fast and the windows small. An object compressed
// once and then served from the cache many times is worth more CPU and a larger
// window (it is still compressed on a worker, so no level is slower than ~10 MB/s).
enum class Use : uint8_t { kOnTheFly, kStored };

// On the fly / stored: gzip 5 / 9, brotli 5 / 6, zstd 3 / 12. Brotli 5 is the lowest
// quality that beats gzip 5 (by 5-10% on text; 4 does not); 7-9 save under 1% over 6
// at a third of its speed, and 10-11 run below 1 MB/s: too slow for a worker.
int default_level(Coding coding, Use use);

class Encoder {
 public:
  virtual ~Encoder() = default;

  Coding coding() const { return coding_; }

  // Each appends what it produced to `out` (which may already hold bytes). false is a
  // library error (or a call after finish or after an error): the stream is broken and
  // every later call returns false too.
  //
  // compress: feeds `input`; the encoder may keep some of it back until a later call.
  [[nodiscard]] virtual bool compress(std::string_view input, std::string& out) = 0;
  // Everything fed so far becomes decodable by the client; the stream goes on. Costs a
  // few bytes and some ratio, so call it where a streamed response would wait anyway
  // (the origin's read returned less than a buffer), not after every write.
  [[nodiscard]] virtual bool flush(std::string& out) = 0;
  // Ends the stream (trailer, checksum). Nothing may be fed after it.
  [[nodiscard]] virtual bool finish(std::string& out) = 0;

  // Bytes the compression library holds for this stream now (it may grow when the
  // first input arrives; see README.md for the figures per coding).
  virtual size_t memory_bytes() const = 0;

 protected:
  explicit Encoder(Coding coding) : coding_(coding) {}

 private:
  Coding coding_;
};

// An encoder for `coding` at `level` (the library's own scale; out-of-range levels are
// clamped). `size_hint`, when the body's length is known (0 if not), lets small bodies
// use smaller windows and tables. `use` picks the window sizes. nullptr for identity or
// when the library cannot set up a stream (out of memory): send the body as it is.
std::unique_ptr<Encoder> make_encoder(Coding coding, int level, uint64_t size_hint = 0,
                                      Use use = Use::kOnTheFly);
inline std::unique_ptr<Encoder> make_encoder(Coding coding, Use use, uint64_t size_hint = 0) {
  return make_encoder(coding, default_level(coding, use), size_hint, use);
}

}  // namespace rampart::compress
