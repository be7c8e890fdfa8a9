#pragma once
// Clearance tokens: what a client that passed a challenge carries in its cookie, so it is
// not challenged again. Pure code (no HTTP types): a token is 48 bytes, base64url
// encoded (64 characters):
//
//   0 version (1)   1 kid   2 level   3 UA-family hint   4 JA4 hint   5-7 zero
//   8-15 issued at (seconds, big-endian)   16-19 lifetime (seconds)
//   20-23 network hint (hash of the client's /24 or /48)   24-31 token id (random)
//   32-47 HMAC-SHA256(key[kid], bytes 0-31 || ua_family || 0 || ja4), first 16 bytes
//
// The binding (user-agent family and, with TLS, the JA4) is part of the MAC input, not
// of the token, so a token presented with another binding fails the MAC; the one-byte
// hints only tell a rebound token from a forged one. The network is a soft signal: a
// change is reported, never refused.
//
// Verification allocates nothing: the keys' HMAC inner and outer SHA-256 states are
// computed once, when the KeyRing is built.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ip.h"

namespace rampart::modules::bot {

inline constexpr uint8_t kTokenVersion = 1;
inline constexpr size_t kTokenBytes = 48;
inline constexpr size_t kTokenChars = 64;  // base64url, no padding

enum class Level : uint8_t { kNone = 0, kLow = 1, kFull = 2 };

// One HMAC-SHA256 key with its precomputed pad states (opaque here).
struct HmacKey;

struct KeySpec {
  uint8_t kid = 0;
  std::string secret;  // raw bytes, at least 32
};

// The keys that sign and verify tokens and challenges. The first key signs; every key
// verifies, so a new key is rolled out by putting it first and keeping the old one
// until the tokens it signed have expired. Immutable once built; shared by workers.
class KeyRing {
 public:
  explicit KeyRing(std::span<const KeySpec> keys);  // keys must be non-empty
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // A ring of one random key generated on first use and kept for the life of the
  // process (so reloads keep clearances valid). Only right for a single node: a fleet
  // must configure the same keys on every node.
  static std::shared_ptr<const KeyRing> process_generated();

  uint8_t signing_kid() const;
  const HmacKey* find(uint8_t kid) const;
  const HmacKey& signing() const { return *keys_.front(); }

 private:
  std::vector<std::unique_ptr<HmacKey>> keys_;
};

// HMAC-SHA256 over the concatenation of `parts`, with a precomputed key.
std::array<uint8_t, 32> hmac(const HmacKey& key, std::span<const std::string_view> parts);

// Constant-time comparison of two byte strings of the same length.
bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n);

// What a token is bound to.
struct Binding {
  std::string_view ua_family;  // ua_family(User-Agent)
  std::string_view ja4;        // empty without TLS
};

// The browser family of a User-Agent ("chrome", "firefox", "safari", "edge", "opera"),
// or else its first product name ("curl", "python-requests"), which survives version
// updates. A view into static strings or into `ua`.
std::string_view ua_family(std::string_view ua);

// A 32-bit hash of the client's network (/24 for IPv4, /48 for IPv6).
uint32_t network_hint(const core::IpAddress& ip);

struct IssueParams {
  Level level = Level::kFull;
  int64_t now = 0;  // seconds since the epoch
  uint32_t lifetime = 1800;
  Binding binding;
  uint32_t network = 0;
  std::array<uint8_t, 8> id{};  // random per token
};

// The base64url token (kTokenChars characters).
std::string issue_token(const KeyRing& keys, const IssueParams& params);

enum class Verdict : uint8_t {
  kValid,
  kMalformed,   // not a token of this format or version
  kUnknownKey,  // kid not in the ring (rotated out, or forged)
  kForged,      // the MAC does not match
  kRebound,     // signed for another user-agent family or TLS fingerprint
  kExpired,     // past issue time + lifetime
  kFuture,      // issued later than now (clock skew beyond tolerance, or forged)
};

std::string_view verdict_name(Verdict v);

struct TokenInfo {
  Level level = Level::kNone;
  int64_t issued_at = 0;
  uint32_t lifetime = 0;
  uint32_t network = 0;          // the network hint it was issued to
  bool network_changed = false;  // the soft signal
  std::array<uint8_t, 8> id{};
};

// Checks a token. Allocation-free.
Verdict verify_token(const KeyRing& keys, std::string_view token, const Binding& binding,
                     uint32_t network, int64_t now, TokenInfo* info = nullptr);

// The network soft signal made useful: a token used from a network other than the one
// it was issued to is fine (a phone changes networks), but one token seen from many
// networks has been copied to many clients. Only tokens away from their first network
// are recorded, so the usual request costs nothing here. Bounded per shard.
class NetworkSpread {
 public:
  static constexpr size_t kMaxOtherNetworks = 3;
  static NetworkSpread& process();
  // False once the token has been seen from more than kMaxOtherNetworks other networks.
  bool admit(const TokenInfo& info, uint32_t network, int64_t now);

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kPerShard = 4096;
  struct Entry {
    std::array<uint32_t, kMaxOtherNetworks> networks{};
    uint8_t count = 0;
    int64_t expires = 0;
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, Entry> tokens;
  };
  std::array<Shard, kShards> shards_;
};

// base64url without padding; decode refuses any other character or a bad length.
std::string base64url_encode(std::span<const uint8_t> bytes);
// Decodes into `out` (capacity out.size()); returns the decoded length or nullopt.
std::optional<size_t> base64url_decode(std::string_view text, std::span<uint8_t> out);

// Cryptographically random bytes (OpenSSL's RAND_bytes).
void random_bytes(std::span<uint8_t> out);

}  // namespace rampart::modules::bot
