#include "compress/coding.h"

#include <optional>

#include "compress/field_text.h"

namespace rampart::compress {
namespace {

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths.
std::optional<Quality> parse_qvalue(std::string_view s) {
  if (s.empty() || (s[0] != '0' && s[0] != '1')) return std::nullopt;
  const bool one = s[0] == '1';
  if (s.size() == 1) return one ? kMaxQuality : Quality{0};
  if (s[1] != '.' || s.size() > 5) return std::nullopt;
  int v = 0;
  int scale = 100;
  for (char c : s.substr(2)) {
    if (!detail::is_digit(c) || (one && c != '0')) return std::nullopt;
    v += (c - '0') * scale;
    scale /= 10;
  }
  return one ? kMaxQuality : static_cast<Quality>(v);
}

// The coding an Accept-Encoding token names, if rampart knows it.
std::optional<Coding> coding_of(std::string_view token) {
  if (http::iequals(token, "gzip") || http::iequals(token, "x-gzip")) return Coding::kGzip;
  if (http::iequals(token, "br")) return Coding::kBrotli;
  if (http::iequals(token, "zstd")) return Coding::kZstd;
  if (http::iequals(token, "identity")) return Coding::kIdentity;
  return std::nullopt;
}

// One element: coding *( OWS ";" OWS name "=" value ). Parameters other than q are
// tolerated and ignored. False if the element is malformed.
bool parse_element(std::string_view element, std::string_view& coding, Quality& q) {
  const size_t semi = element.find(';');
  coding = detail::trim_ows(element.substr(0, semi));
  if (!detail::is_token(coding)) return false;
  q = kMaxQuality;
  std::string_view rest =
      semi == std::string_view::npos ? std::string_view{} : element.substr(semi);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the ';'
    const size_t next = rest.find(';');
    const std::string_view param = detail::trim_ows(rest.substr(0, next));
    rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view name = detail::trim_ows(param.substr(0, eq));
    if (!detail::is_token(name)) return false;
    if (!http::iequals(name, "q")) continue;
    const std::optional<Quality> parsed = parse_qvalue(detail::trim_ows(param.substr(eq + 1)));
    if (!parsed) return false;
    q = *parsed;
  }
  return true;
}

void merge(Quality& slot, Quality q) {
  if (slot == 0) return;  // a refusal stands
  if (slot == kNotListed || q == 0 || q > slot) slot = q;
}

}  // namespace

std::string_view coding_token(Coding coding) {
  switch (coding) {
    case Coding::kGzip:
      return "gzip";
    case Coding::kBrotli:
      return "br";
    case Coding::kZstd:
      return "zstd";
    case Coding::kIdentity:
      break;
  }
  return "identity";
}

Quality AcceptEncoding::quality(Coding coding) const {
  const Quality own = listed[static_cast<size_t>(coding)];
  if (own != kNotListed) return own;
  if (star != kNotListed) return star;
  return coding == Coding::kIdentity ? kMaxQuality : Quality{0};
}

AcceptEncoding parse_accept_encoding(std::span<const http::Header> request_headers) {
  AcceptEncoding out;
  size_t elements = 0;
  for (const http::Header& h : request_headers) {
    if (!http::iequals(h.name, "accept-encoding")) continue;
    out.present = true;
    const bool whole = detail::for_each_list_element(h.value, [&](std::string_view element) {
      if (++elements > kMaxAcceptElements) return false;
      std::string_view token;
      Quality q = 0;
      if (!parse_element(element, token, q)) return true;
      if (token == "*") {
        merge(out.star, q);
      } else if (const std::optional<Coding> c = coding_of(token)) {
        merge(out.listed[static_cast<size_t>(*c)], q);
      }
      return true;
    });
    if (!whole) break;
  }
  return out;
}

Coding negotiate(const AcceptEncoding& accept, std::span<const Coding> preference) {
  if (!accept.present) return Coding::kIdentity;
  Coding best = Coding::kIdentity;
  Quality best_q = 0;
  for (Coding c : preference) {
    if (c == Coding::kIdentity) continue;
    const Quality q = accept.quality(c);
    if (q > best_q) {
      best = c;
      best_q = q;
    }
  }
  // Only an identity the client listed can outrank a coding: "acceptable by default"
  // carries no weight of its own.
  const Quality identity = accept.listed[static_cast<size_t>(Coding::kIdentity)];
  if (best != Coding::kIdentity && identity > best_q) {
    return Coding::kIdentity;
  }
  return best;
}

Coding negotiate(std::span<const http::Header> request_headers,
                 std::span<const Coding> preference) {
  return negotiate(parse_accept_encoding(request_headers), preference);
}

}  // namespace rampart::compress
