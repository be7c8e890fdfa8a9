#include "server/response_compression.h"

#include "compress/eligibility.h"

namespace rampart::server {

namespace {

// Stored bodies are compressed whole on the worker that first needs the coding; past
// this size that would stall the worker's other connections for too long.
constexpr size_t kMaxStoredCompressBytes = 1u << 20;

}  // namespace

bool begin_compression(Compression& c, const config::Site& site, int status,
                       std::vector<http::Header>& headers, std::optional<uint64_t> length,
                       const http::RequestHead& request, bool body_follows) {
  if (!site.compression.enabled || !body_follows) return false;
  compress::Decision d = compress::decide(status, headers, length, request.headers);
  // Chunked framing carries a body of unknown length: HTTP/1.0 has no such thing.
  if (request.version_minor == 0) d.coding = compress::Coding::kIdentity;
  if (d.coding != compress::Coding::kIdentity) {
    c.encoder = compress::make_encoder(d.coding, compress::Use::kOnTheFly, length.value_or(0));
    if (!c.encoder) d.coding = compress::Coding::kIdentity;
  }
  c.coding = d.coding;
  if (d.varies) compress::apply_coding(headers, d.coding, c.values);
  return c.encoder != nullptr;
}

StoredEncoding encode_stored(Compression& c, const config::Site& site, int status,
                             std::vector<http::Header>& headers, const cache::CachedObject& object,
                             const http::RequestHead& request) {
  StoredEncoding result;
  if (!site.compression.enabled) return result;
  std::string_view body = object.body();
  compress::Decision d = compress::decide(status, headers, body.size(), request.headers);
  if (d.coding != compress::Coding::kIdentity) {
    auto slot = static_cast<size_t>(d.coding);
    result.body = object.encoded_body(slot);
    if (!result.body && body.size() <= kMaxStoredCompressBytes) {
      auto encoder = compress::make_encoder(d.coding, compress::Use::kOnTheFly, body.size());
      auto encoded = std::make_shared<std::string>();
      if (encoder && encoder->compress(body, *encoded) && encoder->finish(*encoded)) {
        result.body = std::move(encoded);
        object.set_encoded_body(slot, result.body);
      }
    }
    if (!result.body) d.coding = compress::Coding::kIdentity;
  }
  result.coding = d.coding;
  if (d.varies) compress::apply_coding(headers, d.coding, c.values);
  return result;
}

}  // namespace rampart::server
