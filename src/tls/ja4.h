#pragma once
// The JA4 TLS client fingerprint (FoxIO), e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1".

#include <string>

#include "tls/client_hello.h"

namespace rampart::tls {

// JA4 of a ClientHello received over TCP. Pure: the same hello gives the same string.
//   a: "t", the version (highest non-GREASE supported_versions entry, else the legacy
//      version: "13", "12", "11", "10", "s3", else "00"), "d" with an SNI extension and
//      "i" without, the cipher and extension counts without GREASE (2 digits, at most
//      99), and the first and last characters of the first ALPN value ("00" without;
//      the first and last hex digits of the value when either end is not alphanumeric);
//   b: the first 12 hex digits of SHA-256 over the sorted non-GREASE cipher codes as
//      4-digit lowercase hex joined by ",", or "000000000000" when there are none;
//   c: the same over the sorted extension codes without GREASE, SNI and ALPN, followed,
//      when the hello lists signature algorithms, by "_" and those in the order sent;
//      "000000000000" when there are no such extensions.
std::string ja4(const ClientHello& hello);

// The parts before hashing ("t13d1516h2", "002f,0035,...", "0005,000a,..._0403,..."),
// for tests and for logging a fingerprint's raw form (JA4_r).
struct Ja4Parts {
  std::string a;
  std::string ciphers;
  std::string extensions;
};
Ja4Parts ja4_parts(const ClientHello& hello);

}  // namespace rampart::tls
