#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "modules/bot/challenge.h"

#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "modules/bot/big_endian.h"

namespace rampart::modules::bot {
namespace {

std::array<uint8_t, 32> challenge_mac(const HmacKey& key, const uint8_t* body,
                                      const Binding& binding, uint32_t network) {
  uint8_t net[4];
  put_be(net, network, 4);
  const std::string_view parts[] = {
      "pow1",      {reinterpret_cast<const char*>(body), 32}, binding.ua_family, {"\0", 1},
      binding.ja4, {reinterpret_cast<const char*>(net), 4}};
  return hmac(key, parts);
}

}  // namespace

std::string issue_challenge(const KeyRing& keys, const ChallengeParams& p) {
  std::array<uint8_t, 48> c{};
  c[0] = kChallengeVersion;
  c[1] = keys.signing_kid();
  c[2] = p.bits;
  c[3] = p.puzzles;
  put_be(&c[8], static_cast<uint64_t>(p.now), 8);
  std::memcpy(&c[16], p.nonce.data(), 16);
  auto mac = challenge_mac(keys.signing(), c.data(), p.binding, p.network);
  std::memcpy(&c[32], mac.data(), 16);
  return base64url_encode(c);
}

std::string_view challenge_verdict_name(ChallengeVerdict v) {
  switch (v) {
    case ChallengeVerdict::kValid:
      return "valid";
    case ChallengeVerdict::kMalformed:
      return "malformed";
    case ChallengeVerdict::kForged:
      return "forged";
    case ChallengeVerdict::kExpired:
      return "expired";
    case ChallengeVerdict::kTooEarly:
      return "too_early";
    case ChallengeVerdict::kWrong:
      return "wrong";
    case ChallengeVerdict::kReplayed:
      return "replayed";
  }
  return "unknown";
}

ChallengeVerdict check_challenge(const KeyRing& keys, std::string_view challenge,
                                 const Binding& binding, uint32_t network, int64_t now, int64_t ttl,
                                 int64_t min_age, DecodedChallenge* out) {
  if (challenge.size() != 64) return ChallengeVerdict::kMalformed;
  std::array<uint8_t, 48> c;
  auto n = base64url_decode(challenge, c);
  if (!n || *n != c.size() || c[0] != kChallengeVersion) return ChallengeVerdict::kMalformed;
  if (c[2] < 1 || c[2] > 32 || c[3] < 1 || c[3] > 64 || c[4] || c[5] || c[6] || c[7])
    return ChallengeVerdict::kMalformed;
  const HmacKey* key = keys.find(c[1]);
  if (key == nullptr) return ChallengeVerdict::kForged;
  auto mac = challenge_mac(*key, c.data(), binding, network);
  if (!equal_ct(mac.data(), &c[32], 16)) return ChallengeVerdict::kForged;
  auto issued = static_cast<int64_t>(get_be(&c[8], 8));
  if (issued > now + 60 || now - issued >= ttl) return ChallengeVerdict::kExpired;
  if (now - issued < min_age) return ChallengeVerdict::kTooEarly;
  if (out != nullptr) {
    out->bits = c[2];
    out->puzzles = c[3];
    out->issued_at = issued;
    std::memcpy(out->nonce.data(), &c[16], 16);
  }
  return ChallengeVerdict::kValid;
}

int puzzle_zero_bits(std::string_view challenge, unsigned index, uint64_t counter) {
  // "challenge:index:counter": at most 80 + 1 + 10 + 1 + 20 bytes.
  constexpr size_t kMaxChallenge = 80;
  if (challenge.size() > kMaxChallenge) return 0;
  char buf[kMaxChallenge + 40];
  size_t n = challenge.size();
  std::memcpy(buf, challenge.data(), n);
  buf[n++] = ':';
  n = static_cast<size_t>(std::to_chars(buf + n, buf + n + 10, index).ptr - buf);
  buf[n++] = ':';
  n = static_cast<size_t>(std::to_chars(buf + n, buf + n + 20, counter).ptr - buf);
  uint8_t digest[32];
  SHA256(reinterpret_cast<const uint8_t*>(buf), n, digest);
  int zeros = 0;
  for (uint8_t byte : digest) {
    if (byte == 0) {
      zeros += 8;
      continue;
    }
    zeros += __builtin_clz(static_cast<unsigned>(byte)) - 24;
    break;
  }
  return zeros;
}

ChallengeVerdict check_solutions(std::string_view challenge, const DecodedChallenge& d,
                                 std::string_view solutions) {
  unsigned index = 0;
  size_t pos = 0;
  while (pos <= solutions.size()) {
    size_t comma = solutions.find(',', pos);
    std::string_view item = solutions.substr(
        pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    uint64_t counter = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), counter);
    if (item.empty() || item.size() > 15 || ec != std::errc() || end != item.data() + item.size())
      return ChallengeVerdict::kMalformed;
    if (index >= d.puzzles) return ChallengeVerdict::kMalformed;
    if (puzzle_zero_bits(challenge, index, counter) < d.bits) return ChallengeVerdict::kWrong;
    ++index;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return index == d.puzzles ? ChallengeVerdict::kValid : ChallengeVerdict::kMalformed;
}

uint64_t solve_puzzle(std::string_view challenge, unsigned index, unsigned bits) {
  uint64_t n = 0;
  while (puzzle_zero_bits(challenge, index, n) < static_cast<int>(bits)) ++n;
  return n;
}

ReplayGuard& ReplayGuard::process() {
  static ReplayGuard guard;
  return guard;
}

bool ReplayGuard::first_use(const std::array<uint8_t, 16>& nonce, int64_t expires_at, int64_t now) {
  uint64_t h;
  std::memcpy(&h, nonce.data(), sizeof h);  // the nonce is random: its bytes are a hash
  Shard& shard = shards_[nonce[8] % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.seen.find(h);
  if (it != shard.seen.end() && it->second > now) return false;
  if (shard.seen.size() >= kPerShard) {
    std::erase_if(shard.seen, [now](const auto& e) { return e.second <= now; });
    if (shard.seen.size() >= kPerShard) {
      // Still full of live entries: forget the half that expires first. Pushing entries
      // out takes that many fresh solutions, each a proof of work.
      std::vector<int64_t> expiries;
      for (const auto& e : shard.seen) expiries.push_back(e.second);
      std::nth_element(expiries.begin(), expiries.begin() + expiries.size() / 2, expiries.end());
      int64_t cut = expiries[expiries.size() / 2];
      std::erase_if(shard.seen, [cut](const auto& e) { return e.second <= cut; });
    }
  }
  shard.seen[h] = expires_at;
  return true;
}

}  // namespace rampart::modules::bot
