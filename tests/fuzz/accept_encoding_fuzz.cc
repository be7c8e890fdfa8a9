// Fuzzes content-coding negotiation, compression eligibility and the header edits
// compression makes. The first byte picks the response status and the known length;
// the rest is split at '\n': the first lines are Accept-Encoding lines of the request,
// up to an empty line; the remaining lines are response header values.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compress/coding.h"
#include "compress/eligibility.h"
#include "compress/response_fields.h"
#include "fuzz_check.h"
#include "http/message.h"

namespace {

using namespace rampart::compress;
using rampart::http::Header;
using rampart::http::iequals;

constexpr int kStatuses[] = {200, 203, 204, 206, 304, 404, 500, 301};

size_t count_accept_encoding(const std::vector<Header>& headers) {
  size_t n = 0;
  for (const Header& h : headers) {
    if (!iequals(h.name, "vary")) continue;
    size_t start = 0;
    const std::string_view v = h.value;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string_view::npos) comma = v.size();
      std::string_view e = v.substr(start, comma - start);
      while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
      while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
      if (iequals(e, "accept-encoding")) ++n;
      start = comma + 1;
    }
  }
  return n;
}

bool varies_on_star(const std::vector<Header>& headers) {
  for (const Header& h : headers) {
    if (iequals(h.name, "vary") && h.value.find('*') != std::string_view::npos) return true;
  }
  return false;
}

void check_negotiation(const std::vector<Header>& request, std::string_view joined_source) {
  const AcceptEncoding accept = parse_accept_encoding(request);
  FUZZ_CHECK(accept.present == !request.empty());
  for (Quality q : accept.listed) FUZZ_CHECK(q >= kNotListed && q <= kMaxQuality);
  FUZZ_CHECK(accept.star >= kNotListed && accept.star <= kMaxQuality);

  const Coding chosen = negotiate(accept);
  FUZZ_CHECK(negotiate(request) == chosen);
  if (!accept.present) FUZZ_CHECK(chosen == Coding::kIdentity);
  if (chosen != Coding::kIdentity) {
    // Never a coding the client refused, and none it weighs higher was passed over.
    FUZZ_CHECK(accept.quality(chosen) > 0);
    for (Coding c : kDefaultPreference) FUZZ_CHECK(accept.quality(c) <= accept.quality(chosen));
  }
  // A preference of one coding yields that coding or identity.
  const Coding only_gzip[] = {Coding::kGzip};
  const Coding g = negotiate(accept, only_gzip);
  FUZZ_CHECK(g == Coding::kGzip || g == Coding::kIdentity);

  // Lines combine like one comma-separated line (no quotes to straddle a line break,
  // and few enough elements that the bound does not cut either).
  if (request.size() > 1 && joined_source.find('"') == std::string_view::npos &&
      joined_source.size() < 128) {
    std::string joined;
    for (const Header& h : request) {
      if (!joined.empty()) joined += ',';
      joined += h.value;
    }
    const std::vector<Header> one = {{"Accept-Encoding", joined}};
    FUZZ_CHECK(negotiate(one) == chosen);
  }
}

void check_edits(const std::vector<Header>& response, Coding coding) {
  std::vector<Header> edited = response;
  EditedValues values;
  apply_coding(edited, coding, values);
  // Applying the Vary edit again changes nothing.
  const size_t size = edited.size();
  add_vary_accept_encoding(edited, values);
  FUZZ_CHECK(edited.size() == size);

  if (!varies_on_star(response)) FUZZ_CHECK(count_accept_encoding(edited) >= 1);
  if (coding == Coding::kIdentity) return;
  size_t encodings = 0;
  size_t etags = 0;
  for (const Header& h : edited) {
    FUZZ_CHECK(!iequals(h.name, "content-length"));
    FUZZ_CHECK(!iequals(h.name, "accept-ranges"));
    if (iequals(h.name, "content-encoding")) {
      ++encodings;
      FUZZ_CHECK(h.value == coding_token(coding));
    }
    if (iequals(h.name, "etag")) {
      ++etags;
      FUZZ_CHECK(h.value.starts_with("W/\"") && h.value.ends_with("\"") && h.value.size() >= 4);
    }
  }
  FUZZ_CHECK(encodings == 1);
  FUZZ_CHECK(etags <= 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int status = kStatuses[data[0] & 7];
  const std::optional<uint64_t> length =
      (data[0] & 8) ? std::nullopt : std::optional<uint64_t>(uint64_t{data[0]} * 16);
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= in.size() && lines.size() < 16;) {
    size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) nl = in.size();
    lines.push_back(in.substr(start, nl - start));
    start = nl + 1;
  }
  std::vector<Header> request;
  size_t i = 0;
  std::string_view accept_source;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    request.push_back({i % 2 ? "accept-encoding" : "Accept-Encoding", lines[i]});
  }
  if (i > 0) accept_source = in.substr(0, static_cast<size_t>(lines[i - 1].end() - in.begin()));
  check_negotiation(request, accept_source);

  // Response values take the field names below in turn.
  static constexpr std::string_view kNames[] = {
      "Content-Type",     "Vary", "ETag",           "Cache-Control",
      "Content-Encoding", "Vary", "Content-Length", "ETag"};
  std::vector<Header> response;
  for (size_t j = i + 1, k = 0; j < lines.size(); ++j, ++k) {
    response.push_back({kNames[k % std::size(kNames)], lines[j]});
  }
  request.push_back({"Cache-Control", i + 1 < lines.size() ? lines[i + 1] : ""});

  const Skip skip = check_eligible(status, response, length, request);
  FUZZ_CHECK(!skip_text(skip).empty() || skip == Skip::kNone);
  if (skip == Skip::kNone) {
    FUZZ_CHECK(status != 204 && status != 206 && status != 304);
    FUZZ_CHECK(!length || *length >= Policy{}.min_length);
    const Header* type = nullptr;
    for (const Header& h : response) {
      if (type == nullptr && iequals(h.name, "content-type")) type = &h;
    }
    FUZZ_CHECK(type != nullptr && is_compressible_type(type->value, kDefaultTypes));
  }
  for (Coding c : {Coding::kIdentity, Coding::kGzip, Coding::kBrotli, Coding::kZstd}) {
    check_edits(response, c);
  }
  return 0;
}
