#pragma once
// Content codings rampart produces, and the choice of one from a request's
// Accept-Encoding (RFC 9110 §12.5.3).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/message.h"

namespace rampart::compress {

enum class Coding : uint8_t { kIdentity, kGzip, kBrotli, kZstd };
inline constexpr size_t kCodingCount = 4;

// The content-coding token: "identity", "gzip", "br", "zstd". Static storage, so a
// header may point at it.
std::string_view coding_token(Coding coding);

// A quality value in thousandths (RFC 9110 §12.4.2 allows at most three decimals).
using Quality = int16_t;
inline constexpr Quality kNotListed = -1;
inline constexpr Quality kMaxQuality = 1000;

// Past this many list elements the rest of the field is ignored: no real client sends
// more than a dozen, and the bound caps the work an adversarial field can cause.
inline constexpr size_t kMaxAcceptElements = 64;

struct AcceptEncoding {
  bool present = false;  // at least one Accept-Encoding line
  // Per Coding (indexed by its value), the quality the field gave it explicitly;
  // kNotListed if it did not name it. "x-gzip" counts as "gzip".
  std::array<Quality, kCodingCount> listed = {kNotListed, kNotListed, kNotListed, kNotListed};
  Quality star = kNotListed;  // the quality of "*", if listed

  // The quality the field gives `coding`: its own entry, else "*", else 0 for a coding
  // (not acceptable) and kMaxQuality (q=1) for identity (acceptable unless excluded).
  Quality quality(Coding coding) const;
};

// Every Accept-Encoding line of a request, combined. Malformed elements (a coding that
// is not a token, a bad qvalue) are skipped; if a coding is listed twice, a q=0 wins
// (the client refused it once), else the higher quality.
AcceptEncoding parse_accept_encoding(std::span<const http::Header> request_headers);

// Server preference among codings of equal quality: zstd, then brotli, then gzip.
// At the on-the-fly levels, on a 50 KiB HTML page and a 50 KiB JSON response
// (bench/micro/compress_bench.cc), zstd 3's output is within 2-5% of gzip 5's at about
// five times its speed, so it costs the edge least CPU per response; brotli 5 is 5-10%
// smaller than gzip 5 at 70-80% of its speed, for clients without zstd (Safari); gzip
// is understood by everything. Where bytes matter more than CPU, pass
// {kBrotli, kZstd, kGzip}.
inline constexpr std::array<Coding, 3> kDefaultPreference = {Coding::kZstd, Coding::kBrotli,
                                                             Coding::kGzip};

// The coding to send. The highest quality wins; among equal qualities, the first in
// `preference` (codings not in it are never chosen); identity when the client lists
// it with a higher quality than any coding, or when nothing in `preference` is
// acceptable. A request
// without Accept-Encoding gets identity: the RFC would allow any coding, but clients
// that send nothing (curl, scripts) usually cannot decode one.
Coding negotiate(const AcceptEncoding& accept,
                 std::span<const Coding> preference = kDefaultPreference);
Coding negotiate(std::span<const http::Header> request_headers,
                 std::span<const Coding> preference = kDefaultPreference);

}  // namespace rampart::compress
