#pragma once
// What a rule can see of one request: the parsed head, the client, and values that
// modules computed earlier (a bot score, a country). Built by the server per request;
// fields read it lazily.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "http/message.h"
#include "rules/value.h"

namespace rampart::rules {

using FieldId = uint16_t;

// What the TLS handshake established, when the request came over TLS. Views into the
// connection's own strings.
struct TlsInfo {
  std::string_view version;  // "TLSv1.3"
  std::string_view cipher;
  std::string_view ja4;  // the client's JA4 fingerprint
  std::string_view sni;
  bool client_cert_presented = false;
  bool client_cert_verified = false;
  std::string_view client_cert_subject_dn;  // RFC 2253
  std::string_view client_cert_issuer_dn;
  std::string_view client_cert_serial;              // hex
  std::string_view client_cert_fingerprint_sha256;  // lowercase hex
  int64_t client_cert_not_before = 0;               // seconds since the epoch
  int64_t client_cert_not_after = 0;
};

struct Request {
  const http::RequestHead* head = nullptr;  // required
  core::IpAddress client_ip;
  bool tls = false;
  const TlsInfo* tls_info = nullptr;  // set when tls
  std::string_view protocol;          // "HTTP/1.1", "HTTP/2"; empty: from head->version_minor
  // The request body once a body phase has buffered it; missing before that.
  std::optional<std::string_view> body;
  int response_status = 0;  // 0 until the response phase
  int64_t timestamp = 0;    // seconds since the epoch; 0: the clock is read when needed

  // Values of extension fields (registered by modules) for this request. The first
  // kInlineExtensions live in the Request itself: the bot modules alone set eight per
  // request, and a heap vector grown per request cost more than computing them.
  struct Extension {
    FieldId field;
    Value value;
  };
  static constexpr size_t kInlineExtensions = 12;

  void set_extension(FieldId field, Value value) {
    if (Value* v = find_extension(field)) {
      *v = value;
    } else if (inline_count_ < kInlineExtensions) {
      inline_[inline_count_++] = {field, value};
    } else {
      more_.push_back({field, value});
    }
  }
  const Value* extension(FieldId field) const {
    return const_cast<Request*>(this)->find_extension(field);
  }
  size_t extension_count() const { return inline_count_ + more_.size(); }

 private:
  Value* find_extension(FieldId field) {
    for (size_t i = 0; i < inline_count_; ++i) {
      if (inline_[i].field == field) return &inline_[i].value;
    }
    for (auto& e : more_) {
      if (e.field == field) return &e.value;
    }
    return nullptr;
  }

  std::array<Extension, kInlineExtensions> inline_{};
  size_t inline_count_ = 0;
  std::vector<Extension> more_;  // allocates only past the inline slots
};

}  // namespace rampart::rules
