// Fuzzes the ClientHello parser (the first bytes a TLS client sends, read before any
// authentication) and the JA4 fingerprint computed from it. Invariants: nothing
// crashes; a parsed hello re-encoded to the wire form parses back to the same values;
// JA4 has its fixed shape, counts what the hello holds, and ignores GREASE and the
// order of ciphers.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "tls/client_hello.h"
#include "tls/ja4.h"

namespace {

using rampart::tls::ClientHello;

constexpr size_t kListCap = 256;  // parse_client_hello's per-list cap

void put(std::vector<uint8_t>& out, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Appends `body` prefixed by its length in `len_bytes` bytes.
void put_block(std::vector<uint8_t>& out, const std::vector<uint8_t>& body, int len_bytes) {
  put(out, static_cast<uint32_t>(body.size()), len_bytes);
  out.insert(out.end(), body.begin(), body.end());
}

std::vector<uint8_t> u16_list(const std::vector<uint16_t>& values) {
  std::vector<uint8_t> out;
  for (uint16_t v : values) put(out, v, 2);
  return out;
}

// The wire form of a parsed hello. Repeated lists land in the first extension of their
// type (the parser appends across repeats), so the re-parse must give equal values.
std::vector<uint8_t> encode(const ClientHello& h) {
  std::vector<uint8_t> body;
  put(body, h.legacy_version, 2);
  body.insert(body.end(), 32, 0x5a);  // random
  put_block(body, {}, 1);             // session id
  put_block(body, u16_list(h.ciphers), 2);
  put_block(body, {0}, 1);  // compression: null
  {
    std::vector<uint8_t> exts;
    bool sni = false, alpn = false, sigalgs = false;
    size_t versions_sent = 0;
    for (uint16_t type : h.extensions) {
      std::vector<uint8_t> data;
      if (type == 0x0000) {
        std::vector<uint8_t> list;
        if (!sni && !h.server_name.empty()) {
          list.push_back(0);
          put_block(list, std::vector<uint8_t>(h.server_name.begin(), h.server_name.end()), 2);
        }
        sni = true;
        put_block(data, list, 2);
      } else if (type == 0x0010) {
        std::vector<uint8_t> list;
        if (!alpn) {
          for (const std::string& p : h.alpn)
            put_block(list, std::vector<uint8_t>(p.begin(), p.end()), 1);
        }
        alpn = true;
        put_block(data, list, 2);
      } else if (type == 0x002b) {
        // A 1-byte length holds 127 versions: fill each repeat in turn.
        const size_t n = std::min<size_t>(127, h.supported_versions.size() - versions_sent);
        put_block(data,
                  u16_list({h.supported_versions.begin() + versions_sent,
                            h.supported_versions.begin() + versions_sent + n}),
                  1);
        versions_sent += n;
      } else if (type == 0x000d) {
        put_block(data, sigalgs ? std::vector<uint8_t>() : u16_list(h.signature_algorithms), 2);
        sigalgs = true;
      }
      put(exts, type, 2);
      put_block(exts, data, 2);
    }
    put_block(body, exts, 2);
  }
  std::vector<uint8_t> msg{1};
  put_block(msg, body, 3);
  return msg;
}

bool same(const ClientHello& a, const ClientHello& b) {
  return a.legacy_version == b.legacy_version && a.ciphers == b.ciphers &&
         a.extensions == b.extensions && a.supported_versions == b.supported_versions &&
         a.signature_algorithms == b.signature_algorithms && a.alpn == b.alpn &&
         a.server_name == b.server_name;
}

bool lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

size_t non_grease(const std::vector<uint16_t>& v) {
  return static_cast<size_t>(
      std::count_if(v.begin(), v.end(), [](uint16_t x) { return !rampart::tls::is_grease(x); }));
}

std::string two_digits(size_t n) {
  n = std::min<size_t>(n, 99);
  return {static_cast<char>('0' + n / 10), static_cast<char>('0' + n % 10)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto hello = rampart::tls::parse_client_hello(std::span<const uint8_t>(data, size));
  if (!hello) return 0;
  const ClientHello& h = *hello;
  FUZZ_CHECK(h.ciphers.size() <= kListCap && h.extensions.size() <= kListCap);
  FUZZ_CHECK(h.alpn.size() <= kListCap && h.supported_versions.size() <= kListCap);
  FUZZ_CHECK(h.signature_algorithms.size() <= kListCap && h.server_name.size() <= 255);
  const bool has_sni = std::find(h.extensions.begin(), h.extensions.end(), 0) != h.extensions.end();
  FUZZ_CHECK(h.server_name.empty() || has_sni);

  // Past the extension cap later extensions still fill the lists, which a re-encoding of
  // the capped extension list cannot reproduce.
  if (h.extensions.size() < kListCap) {
    const std::vector<uint8_t> wire = encode(h);
    const auto again = rampart::tls::parse_client_hello(wire);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(same(h, *again));
  }

  const std::string fp = rampart::tls::ja4(h);
  FUZZ_CHECK(fp.size() == 36 && fp[10] == '_' && fp[23] == '_');
  FUZZ_CHECK(fp[0] == 't' && (fp[3] == 'd') == has_sni && (fp[3] == 'd' || fp[3] == 'i'));
  FUZZ_CHECK(fp.substr(4, 2) == two_digits(non_grease(h.ciphers)));
  FUZZ_CHECK(fp.substr(6, 2) == two_digits(non_grease(h.extensions)));
  FUZZ_CHECK(lower_hex(fp.substr(11, 12)) && lower_hex(fp.substr(24, 12)));
  FUZZ_CHECK((fp.substr(11, 12) == "000000000000") == (non_grease(h.ciphers) == 0));
  FUZZ_CHECK(fp == rampart::tls::ja4(h));

  // GREASE anywhere and the cipher order change nothing.
  ClientHello g = h;
  g.ciphers.insert(g.ciphers.begin(), 0x1a1a);
  std::reverse(g.ciphers.begin(), g.ciphers.end());
  g.extensions.push_back(0xfafa);
  g.supported_versions.insert(g.supported_versions.begin(), 0x7a7a);
  g.signature_algorithms.push_back(0x2a2a);
  FUZZ_CHECK(rampart::tls::ja4(g) == fp);
  return 0;
}
