#pragma once
// Test inputs: text that compresses like a real page, and bytes that do not compress.

#include <cstddef>
#include <ostream>
#include <random>
#include <string>

#include "compress/coding.h"

namespace rampart::compress {

// gtest prints a Coding by its token.
inline void PrintTo(Coding coding, std::ostream* os) {
  *os << coding_token(coding);
}

}  // namespace rampart::compress

namespace rampart::compress::test {

// HTML-like text of exactly `size` bytes: markup and words drawn from a small
// vocabulary, deterministic, so ratios behave like a real page's rather than a
// repeated string's.
inline std::string page_text(size_t size) {
  static const char* const kWords[] = {
      "product", "price",  "shipping", "cart",   "review", "customer", "order", "delivery",
      "the",     "and",    "with",     "for",    "from",   "rampart",  "edge",  "cache",
      "free",    "return", "size",     "colour", "stock",  "warranty", "about", "contact"};
  static const char* const kTags[] = {
      "<div class=\"item\">", "</div>\n", "<p>", "</p>\n", "<span>", "</span>",
      "<a href=\"/p/",        "\">",      "</a>"};
  std::mt19937 rng(12345);
  std::string out = "<!doctype html><html><head><title>shop</title></head><body>\n";
  while (out.size() < size) {
    if (rng() % 5 == 0) {
      out += kTags[rng() % std::size(kTags)];
      if (rng() % 3 == 0) out += std::to_string(rng() % 100000);
    } else {
      out += kWords[rng() % std::size(kWords)];
      out += ' ';
    }
  }
  out.resize(size);
  return out;
}

inline std::string random_bytes(size_t size) {
  std::mt19937_64 rng(99);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

}  // namespace rampart::compress::test
