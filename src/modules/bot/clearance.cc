// OpenSSL 3 marks the low-level SHA-256 calls deprecated; they are the only way to copy a
// precomputed HMAC pad state without an allocation per verification.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "modules/bot/clearance.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
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

namespace {

enum UaKindSeen : uint8_t {
  kNoneSeen,
  kChrome,
  kFirefox,
  kOpera,
  kEdge,
  kSafariName,
  kVersionName
};

// The product names ua_family tells apart, by length first (most names match none).
UaKindSeen product_kind(std::string_view name) {
  switch (name.size()) {
    case 3:
      return equals_ci(name, "edg") ? kEdge : equals_ci(name, "opr") ? kOpera : kNoneSeen;
    case 4:
      return equals_ci(name, "edga") || equals_ci(name, "edge") ? kEdge : kNoneSeen;
    case 5:
      return equals_ci(name, "opera")   ? kOpera
             : equals_ci(name, "fxios") ? kFirefox
             : equals_ci(name, "crios") ? kChrome
                                        : kNoneSeen;
    case 6:
      return equals_ci(name, "edgios")   ? kEdge
             : equals_ci(name, "chrome") ? kChrome
             : equals_ci(name, "safari") ? kSafariName
                                         : kNoneSeen;
    case 7:
      return equals_ci(name, "firefox")   ? kFirefox
             : equals_ci(name, "version") ? kVersionName
                                          : kNoneSeen;
    case 8:
      return equals_ci(name, "chromium") ? kChrome : kNoneSeen;
    default:
      return kNoneSeen;
  }
}

constexpr bool is_token_break(char c) {
  return c == ' ' || c == '(' || c == ')' || c == ';' || c == ',';
}

}  // namespace

std::string_view ua_family(std::string_view ua) {
  // The product tokens ("Name/version") of the first 512 bytes, found slash by slash: a
  // name runs back from its '/' to a break character or the previous '/'. Edge and Opera
  // also say "Chrome", Chrome also says "Safari", so the most specific name seen wins.
  uint8_t best = kNoneSeen;
  bool safari = false, version = false;
  const size_t limit = std::min<size_t>(ua.size(), 512);
  size_t from = 0;  // just past the previous '/'
  while (from < limit) {
    const void* hit = std::memchr(ua.data() + from, '/', limit - from);
    if (hit == nullptr) break;
    size_t slash = static_cast<size_t>(static_cast<const char*>(hit) - ua.data());
    size_t start = slash;
    while (start > from && !is_token_break(ua[start - 1])) --start;
    UaKindSeen kind = product_kind(ua.substr(start, slash - start));
    if (kind == kSafariName) {
      safari = true;
    } else if (kind == kVersionName) {
      version = true;
    } else if (kind > best) {
      best = kind;
    }
    from = slash + 1;
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
  // Whole groups of four characters first (a token is sixteen of them), then the tail.
  size_t whole = text.size() / 4 * 4;
  for (size_t i = 0; i < whole; i += 4) {
    int8_t a = kB64Decode[static_cast<unsigned char>(text[i])];
    int8_t b = kB64Decode[static_cast<unsigned char>(text[i + 1])];
    int8_t c = kB64Decode[static_cast<unsigned char>(text[i + 2])];
    int8_t d = kB64Decode[static_cast<unsigned char>(text[i + 3])];
    if ((a | b | c | d) < 0) return std::nullopt;
    uint32_t v = static_cast<uint32_t>(a) << 18 | static_cast<uint32_t>(b) << 12 |
                 static_cast<uint32_t>(c) << 6 | static_cast<uint32_t>(d);
    out[o++] = static_cast<uint8_t>(v >> 16);
    out[o++] = static_cast<uint8_t>(v >> 8);
    out[o++] = static_cast<uint8_t>(v);
  }
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text.substr(whole)) {
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
