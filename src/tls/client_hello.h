#pragma once
// What a client's ClientHello said, kept per connection for the JA4 fingerprint and the
// rules' TLS fields.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rampart::tls {

// Values as sent, GREASE included (JA4 drops it, others may want it).
struct ClientHello {
  uint16_t legacy_version = 0;
  std::vector<uint16_t> ciphers;
  std::vector<uint16_t> extensions;  // extension types in the order sent
  std::vector<uint16_t> supported_versions;
  std::vector<uint16_t> signature_algorithms;
  std::vector<std::string> alpn;  // protocols in the order offered
  std::string server_name;        // the first host_name of server_name; empty: none sent
};

// GREASE (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa.
constexpr bool is_grease(uint16_t value) {
  return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

// Parses a ClientHello handshake message, its 4-byte header included (as OpenSSL's
// message callback passes it). Every length is checked against what is left; a
// malformed message gives nullopt. Lists are capped so a hostile hello costs a bounded
// amount of memory (OpenSSL's own limits on a hello apply first anyway).
std::optional<ClientHello> parse_client_hello(std::span<const uint8_t> message);

}  // namespace rampart::tls
