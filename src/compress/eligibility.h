#pragma once
// May rampart compress this response? A pure decision over the response's status and
// fields (and the request's Cache-Control), made once the origin's head is known and
// before anything is sent to the client.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "compress/coding.h"
#include "http/message.h"

namespace rampart::compress {

// Media types worth compressing. An entry is an exact type ("application/json"), a
// top-level wildcard ("text/*") or a structured-syntax suffix ("*+json").
// Already-compressed formats (images other than SVG, audio, video, woff/woff2, zip,
// gzip, pdf) are not listed: compressing them again costs CPU for nothing.
// text/event-stream is left out: events must reach the client as they are written,
// and a proxy that buffers them breaks the stream.
inline constexpr std::string_view kDefaultTypes[] = {
    "text/html",
    "text/css",
    "text/plain",
    "text/javascript",
    "text/xml",
    "text/csv",
    "text/markdown",
    "text/calendar",
    "text/vtt",
    "text/x-component",
    "application/json",
    "*+json",  // ld+json, manifest+json, problem+json, geo+json, ...
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/xml",
    "*+xml",  // image/svg+xml, application/atom+xml, rss+xml, xhtml+xml, ...
    "application/x-ndjson",
    "application/graphql",
    "application/wasm",  // WebAssembly modules shrink by half or more
    "application/x-www-form-urlencoded",
    "application/vnd.ms-fontobject",
    "application/x-font-ttf",
    "application/x-font-opentype",
    "font/ttf",
    "font/otf",
    "font/collection",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "image/bmp",
};

struct Policy {
  // A response whose length is known and below this is sent as it is: the coding's
  // framing eats most of the saving, and a small body fits in the first packets anyway.
  uint64_t min_length = 256;
  std::span<const std::string_view> types = kDefaultTypes;
};

enum class Skip : uint8_t {
  kNone,         // compressible
  kStatus,       // not a status whose content is a representation worth compressing
  kNoTransform,  // Cache-Control: no-transform in the request or the response
  kEncoded,      // already has a Content-Encoding other than identity
  kRange,        // a partial representation (Content-Range)
  kType,         // no Content-Type, or not one of Policy::types
  kTooSmall,     // known length below Policy::min_length
};

std::string_view skip_text(Skip skip);  // "status", "no-transform", ... ("" for kNone)

// True if `media_type` (case-insensitive, parameters allowed) matches one of `types`.
bool is_compressible_type(std::string_view content_type, std::span<const std::string_view> types);

// Statuses compressed: 200, 201, 202, 203 and 4xx/5xx (error pages are often large
// HTML); never 204/304 (no content), 206 (a range of the identity bytes), other 1xx
// and 3xx. `length` is the body length when known (Content-Length, a cached object),
// nullopt for a chunked or close-delimited body. For HEAD decide as for GET and edit
// the fields the same way, so HEAD shows what GET would send.
Skip check_eligible(int status, std::span<const http::Header> response_headers,
                    std::optional<uint64_t> length, std::span<const http::Header> request_headers,
                    const Policy& policy = {});

// The whole decision for one response: eligibility, then negotiation.
struct Decision {
  Skip skip = Skip::kNone;
  // What to send; identity when skipped or when the client accepts nothing we have.
  Coding coding = Coding::kIdentity;
  // The answer depended on Accept-Encoding (skip == kNone), so the response must say
  // `Vary: Accept-Encoding` whatever the coding (apply_coding does it).
  bool varies = false;
};
Decision decide(int status, std::span<const http::Header> response_headers,
                std::optional<uint64_t> length, std::span<const http::Header> request_headers,
                const Policy& policy = {}, std::span<const Coding> preference = kDefaultPreference);

}  // namespace rampart::compress
