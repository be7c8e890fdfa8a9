#pragma once
// Each library's own streaming decoder, to check what the encoders produce.

#include <brotli/decode.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "compress/coding.h"

namespace rampart::compress::test {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // Appends what `input` decodes to; false on corrupt input.
  virtual bool feed(std::string_view input, std::string& out) = 0;
  // The stream's end (and its checksum) was seen.
  virtual bool ended() const = 0;
};

class GunzipDecoder final : public Decoder {
 public:
  GunzipDecoder() { inflateInit2(&z_, 15 + 16); }
  ~GunzipDecoder() override { inflateEnd(&z_); }
  bool feed(std::string_view input, std::string& out) override {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    z_.avail_in = static_cast<uInt>(input.size());
    char buf[16384];
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      const int rc = inflate(&z_, Z_SYNC_FLUSH);
      out.append(buf, sizeof buf - z_.avail_out);
      if (rc == Z_STREAM_END) {
        ended_ = true;
        return z_.avail_in == 0;  // nothing may follow the member
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) return false;
    } while (z_.avail_out == 0 || z_.avail_in > 0);
    return true;
  }
  bool ended() const override { return ended_; }

 private:
  z_stream z_{};
  bool ended_ = false;
};

class BrotliDecoder final : public Decoder {
 public:
  BrotliDecoder() : s_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliDecoder() override { BrotliDecoderDestroyInstance(s_); }
  bool feed(std::string_view input, std::string& out) override {
    size_t avail_in = input.size();
    const auto* next_in = reinterpret_cast<const uint8_t*>(input.data());
    for (;;) {
      uint8_t buf[16384];
      size_t avail_out = sizeof buf;
      uint8_t* next_out = buf;
      const BrotliDecoderResult r =
          BrotliDecoderDecompressStream(s_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      out.append(reinterpret_cast<const char*>(buf), sizeof buf - avail_out);
      if (r == BROTLI_DECODER_RESULT_ERROR) return false;
      if (r == BROTLI_DECODER_RESULT_SUCCESS) {
        ended_ = true;
        return avail_in == 0;
      }
      if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT && !BrotliDecoderHasMoreOutput(s_)) {
        return true;
      }
    }
  }
  bool ended() const override { return ended_; }

 private:
  BrotliDecoderState* s_;
  bool ended_ = false;
};

class ZstdDecoder final : public Decoder {
 public:
  ZstdDecoder() : d_(ZSTD_createDCtx()) {}
  ~ZstdDecoder() override { ZSTD_freeDCtx(d_); }
  bool feed(std::string_view input, std::string& out) override {
    // zstd counts calls without input as an error ("no progress").
    if (input.empty()) return true;
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
      char buf[16384];
      ZSTD_outBuffer o{buf, sizeof buf, 0};
      const size_t r = ZSTD_decompressStream(d_, &o, &in);
      out.append(buf, o.pos);
      if (ZSTD_isError(r)) return false;
      if (r == 0) {
        ended_ = true;
        return in.pos == in.size;  // one frame per response
      }
      ended_ = false;
      if (in.pos == in.size && o.pos < o.size) return true;
    }
  }
  bool ended() const override { return ended_; }

 private:
  ZSTD_DCtx* d_;
  bool ended_ = false;
};

inline std::unique_ptr<Decoder> make_decoder(Coding coding) {
  switch (coding) {
    case Coding::kGzip:
      return std::make_unique<GunzipDecoder>();
    case Coding::kBrotli:
      return std::make_unique<BrotliDecoder>();
    case Coding::kZstd:
      return std::make_unique<ZstdDecoder>();
    case Coding::kIdentity:
      break;
  }
  return nullptr;
}

// The whole of `encoded`, decoded; nullopt if corrupt or incomplete.
inline std::optional<std::string> decode(Coding coding, std::string_view encoded) {
  const std::unique_ptr<Decoder> d = make_decoder(coding);
  std::string out;
  if (!d->feed(encoded, out) || !d->ended()) return std::nullopt;
  return out;
}

}  // namespace rampart::compress::test
