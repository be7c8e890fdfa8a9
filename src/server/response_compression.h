#pragma once
// On-the-fly compression of responses on their way to clients (the work is compress/'s):
// the decision and the header edits before a head is written, each body piece through
// the encoder, and the compressed forms of stored bodies, made once and kept with the
// stored object.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cache/cached_object.h"
#include "compress/coding.h"
#include "compress/encoder.h"
#include "compress/response_fields.h"
#include "config/config.h"
#include "http/message.h"

namespace rampart::server {

// One response's compression. Header values it edited point into `values`: it must
// outlive the head's serialization, and it never moves.
struct Compression {
  Compression() = default;
  Compression(const Compression&) = delete;
  Compression& operator=(const Compression&) = delete;

  compress::Coding coding = compress::Coding::kIdentity;
  std::unique_ptr<compress::Encoder> encoder;  // set: the body goes through it, chunked
  compress::EditedValues values;
  std::string out;  // the encoder's output for the piece at hand
};

// Decides for a streamed response and edits `headers` (Vary, Content-Encoding, ETag,
// the identity length dropped). True when the body must go through `c.encoder`, and so
// be sent chunked: only to HTTP/1.1 clients, and only when a body follows.
bool begin_compression(Compression& c, const config::Site& site, int status,
                       std::vector<http::Header>& headers, std::optional<uint64_t> length,
                       const http::RequestHead& request, bool body_follows);

// For a stored response: the coding to send it with (identity when none, or when the
// body is too big to compress on a worker) after editing `headers` like
// begin_compression, and its compressed body, made now if it was not made before.
struct StoredEncoding {
  compress::Coding coding = compress::Coding::kIdentity;
  std::shared_ptr<const std::string> body;
};
StoredEncoding encode_stored(Compression& c, const config::Site& site, int status,
                             std::vector<http::Header>& headers, const cache::CachedObject& object,
                             const http::RequestHead& request);

}  // namespace rampart::server
