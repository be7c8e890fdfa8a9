// The encoders and digests (base64*, hexEncode, urlEncode, utf8toUnicode, length, md5,
// sha1). base64Decode follows the mbedTLS decoder ModSecurity calls (all or nothing),
// base64DecodeExt ModSecurity's own forgiving decoder.
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <cstdint>

#include "seclang/transform_impl.h"

namespace rampart::seclang::transform_detail {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Standard alphabet value, 64 for '=', 127 for anything else.
constexpr std::array<uint8_t, 256> kStrictTable = [] {
  std::array<uint8_t, 256> t{};
  t.fill(127);
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kBase64Alphabet[i])] = i;
  t['='] = 64;
  return t;
}();

// The forgiving decoder skips every byte outside the standard alphabet (the version the
// CRS deployment runs does not take the URL-safe '-' and '_' either).
constexpr std::array<int8_t, 256> kForgivingTable = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<uint8_t>(kBase64Alphabet[i])] = i;
  return t;
}();

// The digests are fetched once and each thread reuses one context, so hashing a value
// allocates nothing but `out`.
const EVP_MD* fetched(const char* name) {
  return EVP_MD_fetch(nullptr, name, nullptr);
}

bool digest(const EVP_MD* md, std::string_view in, std::string& out) {
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md == nullptr || context.ctx == nullptr || EVP_DigestInit_ex(context.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, in.data(), in.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, buf, &len) != 1) {
    len = 0;
  }
  out.assign(reinterpret_cast<const char*>(buf), len);
  return differs(in, out);
}

void append_u_escape(std::string& out, uint32_t code) {
  // %u and at least four lowercase hex digits, as printf("%x") then zero padding.
  char digits[8];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, code, 16);
  size_t len = static_cast<size_t>(end - digits);
  out.append("%u");
  if (len < 4) out.append(4 - len, '0');
  out.append(digits, len);
}

}  // namespace

bool base64_decode(std::string_view in, std::string& out) {
  // mbedTLS sees the value up to its first NUL. Any invalid byte, a space inside a line,
  // more than two '=' or data after '=' make the whole result empty; a trailing
  // incomplete group is dropped.
  std::string_view s = in.substr(0, in.find('\0'));
  size_t i = 0;
  size_t pads = 0;
  size_t digits = 0;
  for (; i < s.size(); ++i) {
    size_t spaces = 0;
    while (i < s.size() && s[i] == ' ') ++i, ++spaces;
    if (i == s.size()) break;
    if (s.size() - i >= 2 && s[i] == '\r' && s[i + 1] == '\n') continue;
    if (s[i] == '\n') continue;
    if (spaces != 0) return differs(in, out);
    uint8_t v = kStrictTable[static_cast<uint8_t>(s[i])];
    if (s[i] == '=' && ++pads > 2) return differs(in, out);
    if (v == 127 || (v < 64 && pads != 0)) return differs(in, out);
    ++digits;
  }
  if (digits == 0) return differs(in, out);
  out.reserve(digits * 3 / 4 + 3);
  uint32_t acc = 0;
  int group = 0;
  int keep = 3;
  for (size_t k = 0; k < i; ++k) {
    uint8_t c = static_cast<uint8_t>(s[k]);
    if (c == '\r' || c == '\n' || c == ' ') continue;
    if (kStrictTable[c] == 64) --keep;
    acc = (acc << 6) | (kStrictTable[c] & 0x3f);
    if (++group == 4) {
      group = 0;
      if (keep > 0) out.push_back(static_cast<char>(acc >> 16));
      if (keep > 1) out.push_back(static_cast<char>(acc >> 8));
      if (keep > 2) out.push_back(static_cast<char>(acc));
    }
  }
  return differs(in, out);
}

bool base64_decode_ext(std::string_view in, std::string& out) {
  out.reserve(in.size() * 3 / 4 + 3);
  size_t accepted = 0;
  int last = 0;  // ModSecurity's `ch`: '=' itself, else the table value of the last byte
  uint32_t acc = 0;
  for (size_t k = 0; k < in.size(); ++k) {
    uint8_t c = static_cast<uint8_t>(in[k]);
    if (c == '=') {
      last = '=';
      unsigned char next = k + 1 < in.size() ? in[k + 1] : 0;
      if (next != '=' && accepted % 4 == 1) {
        out.clear();
        return differs(in, out);
      }
      continue;
    }
    int v = kForgivingTable[c];
    last = v;
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    switch (accepted % 4) {
      case 1:
        out.push_back(static_cast<char>(acc >> 4));
        break;
      case 2:
        out.push_back(static_cast<char>(acc >> 2));
        break;
      case 3:
        out.push_back(static_cast<char>(acc));
        break;
      default:
        break;
    }
    ++accepted;
  }
  // The value 61 ('9') compares equal to '=' in ModSecurity's check, so a lone digit
  // after a complete group ending in '9' empties the result like a lone '=' does.
  if (last == '=' && accepted % 4 == 1) out.clear();
  return differs(in, out);
}

bool base64_encode(std::string_view in, std::string& out) {
  out.resize((in.size() + 2) / 3 * 4);
  char* d = out.data();
  auto byte = [&](size_t k) { return uint32_t{static_cast<uint8_t>(in[k])}; };
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    d[0] = kBase64Alphabet[v >> 18];
    d[1] = kBase64Alphabet[(v >> 12) & 63];
    d[2] = kBase64Alphabet[(v >> 6) & 63];
    d[3] = kBase64Alphabet[v & 63];
    d += 4;
  }
  if (i < in.size()) {
    bool two = i + 1 < in.size();
    uint32_t v = (byte(i) << 16) | (two ? byte(i + 1) << 8 : 0);
    d[0] = kBase64Alphabet[v >> 18];
    d[1] = kBase64Alphabet[(v >> 12) & 63];
    d[2] = two ? kBase64Alphabet[(v >> 6) & 63] : '=';
    d[3] = '=';
  }
  return !in.empty();
}

bool hex_encode(std::string_view in, std::string& out) {
  out.resize(in.size() * 2);
  char* p = out.data();
  for (unsigned char c : in) {
    *p++ = kHexDigits[c >> 4];
    *p++ = kHexDigits[c & 15];
  }
  return !in.empty();
}

bool url_encode(std::string_view in, std::string& out) {
  out.reserve(in.size());
  bool changed = false;
  for (unsigned char c : in) {
    if (c == ' ') {
      out.push_back('+');
      changed = true;
    } else if (c == '*' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
               (c >= 'a' && c <= 'z')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 15]);
      changed = true;
    }
  }
  return changed;
}

bool utf8_to_unicode(std::string_view in, std::string& out) {
  // Multi-byte sequences become %uXXXX; the lead byte of an invalid sequence is dropped
  // (its continuation bytes then pass through), NULs are dropped, and a surrogate or
  // overlong sequence is followed by its lead byte, as ModSecurity writes them.
  const size_t n = in.size();
  auto at = [&](size_t k) -> unsigned char { return k < n ? in[k] : 0; };
  // The common case, ASCII without NULs, is returned as is after one scan.
  unsigned char high_bits = 0;
  for (unsigned char c : in) high_bits |= c;
  if ((high_bits & 0x80) == 0 && find_byte(in, 0, '\0') == n) {
    out.assign(in);
    return false;
  }
  out.reserve(n);
  for (size_t i = 0; i < n;) {
    unsigned char c = in[i];
    if (c < 0x80) {
      if (c != 0) out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (len == 4 && c >= 0xf5) out.push_back(static_cast<char>(c));
    bool valid = true;
    for (size_t k = 1; k < len && valid; ++k) valid = (at(i + k) & 0xc0) == 0x80;
    if (!valid) {
      ++i;
      continue;
    }
    uint32_t code = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t k = 1; k < len; ++k) code = (code << 6) | (at(i + k) & 0x3f);
    append_u_escape(out, code);
    if (code >= 0xd800 && code <= 0xdfff) out.push_back(static_cast<char>(c));
    uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
    if (code < min) out.push_back(static_cast<char>(c));
    i += len;
  }
  return differs(in, out);
}

bool length(std::string_view in, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, in.size());
  out.assign(buf, end);
  return differs(in, out);
}

bool md5(std::string_view in, std::string& out) {
  static const EVP_MD* const kMd5 = fetched("MD5");
  return digest(kMd5, in, out);
}
bool sha1(std::string_view in, std::string& out) {
  static const EVP_MD* const kSha1 = fetched("SHA1");
  return digest(kSha1, in, out);
}

}  // namespace rampart::seclang::transform_detail
