#pragma once
// The stateless proof-of-work challenge. Pure code (no HTTP types). A challenge is 48
// bytes, base64url encoded (64 characters):
//
//   0 version (1)   1 kid   2 bits per puzzle   3 puzzles   4-7 zero
//   8-15 issued at (seconds, big-endian)   16-31 nonce (random)
//   32-47 HMAC-SHA256(key[kid], "pow1" || bytes 0-31 || ua_family || 0 || ja4 || network)
//
// Nothing is stored when a challenge is issued: the MAC proves it is ours and bound to
// the client. Puzzle i (0-based) is solved by a decimal counter n such that
// SHA-256("<challenge>:<i>:<n>") starts with `bits` zero bits; the difficulty D is split
// into 2^k puzzles of D-k bits, so the expected work stays 2^D while its spread shrinks.
// A redeemed challenge's nonce goes into a bounded ReplayGuard so one solution mints one
// clearance.

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "modules/bot/clearance.h"

namespace rampart::modules::bot {

inline constexpr uint8_t kChallengeVersion = 1;

struct ChallengeParams {
  uint8_t bits = 15;  // per puzzle
  uint8_t puzzles = 8;
  int64_t now = 0;
  Binding binding;
  uint32_t network = 0;
  std::array<uint8_t, 16> nonce{};
};

std::string issue_challenge(const KeyRing& keys, const ChallengeParams& params);

enum class ChallengeVerdict : uint8_t {
  kValid,
  kMalformed,
  kForged,    // MAC mismatch: not ours, or issued to another client
  kExpired,   // older than the challenge TTL
  kTooEarly,  // the no-JS step answered before its delay
  kWrong,     // a puzzle's answer does not have enough zero bits
  kReplayed,  // this challenge was already redeemed
};

std::string_view challenge_verdict_name(ChallengeVerdict v);

struct DecodedChallenge {
  uint8_t bits = 0;
  uint8_t puzzles = 0;
  int64_t issued_at = 0;
  std::array<uint8_t, 16> nonce{};
};

// Checks that `challenge` is ours, for this client, and issued within [now - ttl, now -
// min_age]. Does not look at solutions nor the replay guard.
ChallengeVerdict check_challenge(const KeyRing& keys, std::string_view challenge,
                                 const Binding& binding, uint32_t network, int64_t now, int64_t ttl,
                                 int64_t min_age, DecodedChallenge* out);

// Checks the comma-separated decimal answers, one per puzzle.
ChallengeVerdict check_solutions(std::string_view challenge, const DecodedChallenge& decoded,
                                 std::string_view solutions);

// Leading zero bits of SHA-256("<challenge>:<index>:<counter>").
int puzzle_zero_bits(std::string_view challenge, unsigned index, uint64_t counter);

// Finds an answer by brute force (tests and benchmarks; the browser does it in JS).
uint64_t solve_puzzle(std::string_view challenge, unsigned index, unsigned bits);

// Remembers redeemed challenge nonces until their challenge expires. Bounded: a full
// shard first drops expired entries, then its oldest half.
class ReplayGuard {
 public:
  static ReplayGuard& process();
  // True the first time a nonce is seen (and records it); false for a replay.
  bool first_use(const std::array<uint8_t, 16>& nonce, int64_t expires_at, int64_t now);

 private:
  static constexpr size_t kShards = 16;
  static constexpr size_t kPerShard = 8192;
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, int64_t> seen;  // nonce hash -> expiry
  };
  std::array<Shard, kShards> shards_;
};

}  // namespace rampart::modules::bot
