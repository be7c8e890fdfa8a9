#include "tls/ja4.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <string_view>
#include <vector>

namespace rampart::tls {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string hex4(uint16_t v) {
  return {kHex[v >> 12], kHex[(v >> 8) & 0xf], kHex[(v >> 4) & 0xf], kHex[v & 0xf]};
}

std::string two_digits(size_t n) {
  n = std::min<size_t>(n, 99);
  return {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
}

std::string version_code(const ClientHello& hello) {
  uint16_t version = 0;
  for (uint16_t v : hello.supported_versions) {
    if (!is_grease(v)) version = std::max(version, v);
  }
  if (version == 0) version = hello.legacy_version;
  switch (version) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    default:
      return "00";
  }
}

bool is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string alpn_code(const ClientHello& hello) {
  if (hello.alpn.empty() || hello.alpn.front().empty()) return "00";
  const std::string& p = hello.alpn.front();
  const auto first = static_cast<unsigned char>(p.front());
  const auto last = static_cast<unsigned char>(p.back());
  if (is_alnum(first) && is_alnum(last)) return {static_cast<char>(first), static_cast<char>(last)};
  return {kHex[first >> 4], kHex[last & 0xf]};
}

std::string sorted_list(std::vector<uint16_t> values) {
  std::sort(values.begin(), values.end());
  std::string out;
  for (uint16_t v : values) {
    if (!out.empty()) out += ',';
    out += hex4(v);
  }
  return out;
}

std::string sha256_12(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    return "000000000000";
  }
  std::string out;
  for (int i = 0; i < 6; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace

Ja4Parts ja4_parts(const ClientHello& hello) {
  std::vector<uint16_t> ciphers;
  for (uint16_t c : hello.ciphers) {
    if (!is_grease(c)) ciphers.push_back(c);
  }
  size_t extension_count = 0;
  bool has_sni = false;
  std::vector<uint16_t> hashed_extensions;
  for (uint16_t e : hello.extensions) {
    if (is_grease(e)) continue;
    ++extension_count;
    if (e == 0x0000) has_sni = true;
    if (e != 0x0000 && e != 0x0010) hashed_extensions.push_back(e);
  }
  Ja4Parts parts;
  parts.a.reserve(10);
  parts.a += 't';
  parts.a += version_code(hello);
  parts.a += has_sni ? 'd' : 'i';
  parts.a += two_digits(ciphers.size());
  parts.a += two_digits(extension_count);
  parts.a += alpn_code(hello);
  parts.ciphers = sorted_list(std::move(ciphers));
  parts.extensions = sorted_list(std::move(hashed_extensions));
  std::string algorithms;
  for (uint16_t s : hello.signature_algorithms) {
    if (is_grease(s)) continue;
    if (!algorithms.empty()) algorithms += ',';
    algorithms += hex4(s);
  }
  if (!algorithms.empty() && !parts.extensions.empty()) {
    parts.extensions += "_" + algorithms;
  }
  return parts;
}

std::string ja4(const ClientHello& hello) {
  Ja4Parts parts = ja4_parts(hello);
  const std::string b = parts.ciphers.empty() ? "000000000000" : sha256_12(parts.ciphers);
  const std::string c = parts.extensions.empty() ? "000000000000" : sha256_12(parts.extensions);
  return parts.a + "_" + b + "_" + c;
}

}  // namespace rampart::tls
