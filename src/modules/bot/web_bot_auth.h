#pragma once
// Web Bot Auth: RFC 9421 HTTP Message Signatures with Ed25519 keys, tag "web-bot-auth",
// keyid = the key's JWK thumbprint. Pure code over a plain view of the request (no
// RequestContext), so the signature base can be tested and fuzzed on its own.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http/structured_field.h"
#include "modules/bot/bot_feeds.h"

namespace rampart::modules::bot {

struct SignedRequest {
  std::string_view method, scheme, authority, path, query;  // query without '?'
  std::string_view signature_input, signature;              // the two fields' values
  // A header's value by lowercase name, several lines combined with ", "; nullopt if absent.
  std::function<std::optional<std::string>(std::string_view)> header;
};

enum class SigVerdict : uint8_t {
  kNone,  // no Web Bot Auth signature on the request
  kValid,
  kMalformed,  // Signature-Input or Signature is not a valid structured field
  kMissingComponent,
  kUnsupported,  // a covered component or parameter rampart does not know
  kNotCovered,   // @authority or signature-agent (when sent) is not covered
  kBadTime,      // created/expires missing, in the future, expired or too long
  kUnknownKey,
  kBadSignature,
};
std::string_view sig_verdict_name(SigVerdict v);

struct SigCheck {
  int64_t now = 0;  // unix seconds
  int64_t max_skew = 60;
  int64_t max_validity = 86'400;
};

struct SigResult {
  SigVerdict verdict = SigVerdict::kNone;
  std::string keyid;
};

// The signature base (RFC 9421 §2.5) of one Signature-Input member; nullopt with `why`
// when a component is missing or unsupported.
std::optional<std::string> signature_base(const http::sf::Member& input, const SignedRequest& req,
                                          SigVerdict& why);

// Checks the request's first signature labelled tag="web-bot-auth" against `keys`.
SigResult verify_web_bot_auth(const SignedRequest& req, const PublicKeys& keys,
                              const SigCheck& check);

}  // namespace rampart::modules::bot
