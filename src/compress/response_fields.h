#pragma once
// The response header edits that compression implies, over a vector of field views.

#include <string>
#include <vector>

#include "compress/coding.h"
#include "http/message.h"

namespace rampart::compress {

// Owns the field values the edits build (a merged Vary, a weakened ETag). The edited
// headers point into it, so it must outlive their use (serializing the head, copying
// it into the cache) and must not move: it is neither copyable nor movable. Values
// that need no storage point at string literals.
struct EditedValues {
  EditedValues() = default;
  EditedValues(const EditedValues&) = delete;
  EditedValues& operator=(const EditedValues&) = delete;

  std::string vary;
  std::string etag;
};

// For every response whose compression depended on Accept-Encoding (check_eligible
// said yes), whatever coding was chosen, identity included: caches downstream must
// key it by Accept-Encoding. Adds "Accept-Encoding" to the Vary field: a new line when
// there is none, else appended to the last line; nothing if it is already listed or
// the response varies on "*".
void add_vary_accept_encoding(std::vector<http::Header>& headers, EditedValues& values);

// For a response that will be sent with `coding` (not identity): sets Content-Encoding
// (replacing an "identity" one), adds Vary as above, weakens a strong ETag ("x" ->
// W/"x": the bytes differ from the origin's, but the representation is the same for
// If-None-Match), drops an ETag that is not an entity-tag, and drops the fields that
// described the identity bytes: Content-Length, Content-MD5, Content-Digest,
// Repr-Digest, and Accept-Ranges (ranges of bytes an encoder produced on the fly are
// not repeatable).
void apply_coding(std::vector<http::Header>& headers, Coding coding, EditedValues& values);

}  // namespace rampart::compress
