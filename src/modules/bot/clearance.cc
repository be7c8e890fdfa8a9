// OpenSSL 3 marks the low-level SHA-256 calls deprecated; they are the only way to copy a
// precomputed HMAC pad state without an allocation per verification.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "modules/bot/clearance.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <mutex>

#include "modules/bot/big_endian.h"

namespace rampart::modules::bot {

struct HmacKey {
  uint8_t kid = 0;
  SHA256_CTX inner;  // after absorbing key ^ ipad
  SHA256_CTX outer;  // after absorbing key ^ opad
};

namespace {

constexpr int64_t kClockSkew = 60;  // seconds a token may appear to come from the future

std::unique_ptr<HmacKey> make_key(const KeySpec& spec) {
  auto key = std::make_unique<HmacKey>();
  key->kid = spec.kid;
  uint8_t block[64] = {};
  if (spec.secret.size() > sizeof block) {
    SHA256(reinterpret_cast<const uint8_t*>(spec.secret.data()), spec.secret.size(), block);
  } else {
    std::memcpy(block, spec.secret.data(), spec.secret.size());
  }
  uint8_t pad[64];
  for (size_t i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&key->inner);
  SHA256_Update(&key->inner, pad, sizeof pad);
  for (size_t i = 0; i < 64; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&key->outer);
  SHA256_Update(&key->outer, pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  return key;
}

uint8_t hint_byte(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return static_cast<uint8_t>(h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}

std::array<uint8_t, 32> token_mac(const HmacKey& key, const uint8_t* body, const Binding& binding) {
  const std::string_view parts[] = {
      {reinterpret_cast<const char*>(body), 32}, binding.ua_family, {"\0", 1}, binding.ja4};
  return hmac(key, parts);
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> make_b64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kB64Decode = make_b64_table();

bool equals_ci(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

KeyRing::KeyRing(std::span<const KeySpec> keys) {
  for (const KeySpec& k : keys) keys_.push_back(make_key(k));
}

KeyRing::~KeyRing() = default;

std::shared_ptr<const KeyRing> KeyRing::process_generated() {
  static std::once_flag once;
  static std::shared_ptr<const KeyRing> ring;
  std::call_once(once, [] {
    KeySpec spec;
    spec.kid = 0;
    spec.secret.resize(32);
    random_bytes({reinterpret_cast<uint8_t*>(spec.secret.data()), spec.secret.size()});
    ring = std::make_shared<const KeyRing>(std::span<const KeySpec>(&spec, 1));
    OPENSSL_cleanse(spec.secret.data(), spec.secret.size());
  });
  return ring;
}

uint8_t KeyRing::signing_kid() const {
  return keys_.front()->kid;
}

const HmacKey* KeyRing::find(uint8_t kid) const {
  for (const auto& k : keys_) {
    if (k->kid == kid) return k.get();
  }
  return nullptr;
}

std::array<uint8_t, 32> hmac(const HmacKey& key, std::span<const std::string_view> parts) {
  SHA256_CTX ctx = key.inner;
  for (std::string_view p : parts) SHA256_Update(&ctx, p.data(), p.size());
  std::array<uint8_t, 32> inner_digest;
  SHA256_Final(inner_digest.data(), &ctx);
  ctx = key.outer;
  SHA256_Update(&ctx, inner_digest.data(), inner_digest.size());
  std::array<uint8_t, 32> out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

bool equal_ct(const uint8_t* a, const uint8_t* b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

std::string_view ua_family(std::string_view ua) {
  // One pass over the product tokens ("Name/version"). Edge and Opera also say "Chrome",
  // Chrome also says "Safari", so the most specific name seen wins.
  enum : uint8_t { kNoneSeen, kChrome, kFirefox, kOpera, kEdge };
  uint8_t best = kNoneSeen;
  bool safari = false, version = false;
  size_t token_start = 0;
  for (size_t i = 0; i < ua.size() && i < 512; ++i) {
    char c = ua[i];
    if (c == ' ' || c == '(' || c == ')' || c == ';' || c == ',') {
      token_start = i + 1;
      continue;
    }
    if (c != '/') continue;
    std::string_view name = ua.substr(token_start, i - token_start);
    token_start = i + 1;
    uint8_t kind = kNoneSeen;
    if (equals_ci(name, "edg") || equals_ci(name, "edga") || equals_ci(name, "edgios") ||
        equals_ci(name, "edge"))
      kind = kEdge;
    else if (equals_ci(name, "opr") || equals_ci(name, "opera"))
      kind = kOpera;
    else if (equals_ci(name, "firefox") || equals_ci(name, "fxios"))
      kind = kFirefox;
    else if (equals_ci(name, "chrome") || equals_ci(name, "crios") || equals_ci(name, "chromium"))
      kind = kChrome;
    else if (equals_ci(name, "safari"))
      safari = true;
    else if (equals_ci(name, "version"))
      version = true;
    if (kind > best) best = kind;
  }
  switch (best) {
    case kEdge:
      return "edge";
    case kOpera:
      return "opera";
    case kFirefox:
      return "firefox";
    case kChrome:
      return "chrome";
    default:
      break;
  }
  if (safari && version) return "safari";
  size_t end = 0;
  while (end < ua.size() && ua[end] != '/' && ua[end] != ' ' && end < 64) ++end;
  return end == 0 ? std::string_view("none") : ua.substr(0, end);
}

uint32_t network_hint(const core::IpAddress& ip) {
  // IPv4 is mapped at bytes 12-15: its /24 is bytes 0-14; IPv6's /48 is bytes 0-5.
  size_t n = ip.v4 ? 15 : 6;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ ip.bytes[i]) * 16777619u;
  return h;
}

std::string issue_token(const KeyRing& keys, const IssueParams& p) {
  std::array<uint8_t, kTokenBytes> t{};
  t[0] = kTokenVersion;
  t[1] = keys.signing_kid();
  t[2] = static_cast<uint8_t>(p.level);
  t[3] = hint_byte(p.binding.ua_family);
  t[4] = hint_byte(p.binding.ja4);
  put_be(&t[8], static_cast<uint64_t>(p.now), 8);
  put_be(&t[16], p.lifetime, 4);
  put_be(&t[20], p.network, 4);
  std::memcpy(&t[24], p.id.data(), 8);
  auto mac = token_mac(keys.signing(), t.data(), p.binding);
  std::memcpy(&t[32], mac.data(), 16);
  return base64url_encode(t);
}

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kMalformed:
      return "malformed";
    case Verdict::kUnknownKey:
      return "unknown_key";
    case Verdict::kForged:
      return "forged";
    case Verdict::kRebound:
      return "rebound";
    case Verdict::kExpired:
      return "expired";
    case Verdict::kFuture:
      return "future";
  }
  return "unknown";
}

Verdict verify_token(const KeyRing& keys, std::string_view token, const Binding& binding,
                     uint32_t network, int64_t now, TokenInfo* info) {
  if (token.size() != kTokenChars) return Verdict::kMalformed;
  std::array<uint8_t, kTokenBytes> t;
  auto n = base64url_decode(token, t);
  if (!n || *n != kTokenBytes) return Verdict::kMalformed;
  if (t[0] != kTokenVersion || t[5] != 0 || t[6] != 0 || t[7] != 0) return Verdict::kMalformed;
  if (t[2] != static_cast<uint8_t>(Level::kLow) && t[2] != static_cast<uint8_t>(Level::kFull))
    return Verdict::kMalformed;
  const HmacKey* key = keys.find(t[1]);
  if (key == nullptr) return Verdict::kUnknownKey;
  auto mac = token_mac(*key, t.data(), binding);
  if (!equal_ct(mac.data(), &t[32], 16)) {
    bool hints_differ = t[3] != hint_byte(binding.ua_family) || t[4] != hint_byte(binding.ja4);
    return hints_differ ? Verdict::kRebound : Verdict::kForged;
  }
  auto issued = static_cast<int64_t>(get_be(&t[8], 8));
  auto lifetime = static_cast<uint32_t>(get_be(&t[16], 4));
  if (issued > now + kClockSkew) return Verdict::kFuture;
  if (now >= issued + static_cast<int64_t>(lifetime)) return Verdict::kExpired;
  if (info != nullptr) {
    info->level = static_cast<Level>(t[2]);
    info->issued_at = issued;
    info->lifetime = lifetime;
    info->network = static_cast<uint32_t>(get_be(&t[20], 4));
    info->network_changed = info->network != network;
    std::memcpy(info->id.data(), &t[24], 8);
  }
  return Verdict::kValid;
}

NetworkSpread& NetworkSpread::process() {
  static NetworkSpread spread;
  return spread;
}

bool NetworkSpread::admit(const TokenInfo& info, uint32_t network, int64_t now) {
  if (network == info.network) return true;
  uint64_t key;
  std::memcpy(&key, info.id.data(), sizeof key);
  Shard& shard = shards_[info.id[7] % kShards];
  std::lock_guard lock(shard.mu);
  auto it = shard.tokens.find(key);
  if (it == shard.tokens.end()) {
    if (shard.tokens.size() >= kPerShard) {
      std::erase_if(shard.tokens, [now](const auto& e) { return e.second.expires <= now; });
      // Still full: forget everything; a copied token then gets a few more networks.
      if (shard.tokens.size() >= kPerShard) shard.tokens.clear();
    }
    it = shard.tokens.emplace(key, Entry{}).first;
    it->second.expires = info.issued_at + info.lifetime;
  }
  Entry& e = it->second;
  for (uint8_t i = 0; i < e.count; ++i) {
    if (e.networks[i] == network) return true;
  }
  if (e.count == e.networks.size()) return false;
  e.networks[e.count++] = network;
  return true;
}

std::string base64url_encode(std::span<const uint8_t> in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t v = in[i] << 16;
    if (rest == 2) v |= in[i + 1] << 8;
    out += kB64[v >> 18];
    out += kB64[(v >> 12) & 63];
    if (rest == 2) out += kB64[(v >> 6) & 63];
  }
  return out;
}

std::optional<size_t> base64url_decode(std::string_view text, std::span<uint8_t> out) {
  if (text.size() % 4 == 1) return std::nullopt;
  size_t need = text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
  if (need > out.size()) return std::nullopt;
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int8_t v = kB64Decode[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  // Leftover bits must be zero, so each token has exactly one spelling.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return o;
}

void random_bytes(std::span<uint8_t> out) {
  // RAND_bytes fails only when the system's entropy source is broken: a broken invariant.
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

}  // namespace rampart::modules::bot
