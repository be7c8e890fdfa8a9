#include "compress/eligibility.h"

#include "compress/field_text.h"

namespace rampart::compress {
namespace {

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && http::iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && http::iequals(s.substr(s.size() - suffix.size()), suffix);
}

bool type_matches(std::string_view type, std::string_view pattern) {
  if (pattern.starts_with('*')) {
    // "*+json": a suffix after a non-empty subtype ("application/+json" is not a type).
    const size_t slash = type.find('/');
    return slash != std::string_view::npos && type.size() > slash + 1 + pattern.size() - 1 &&
           iends_with(type, pattern.substr(1));
  }
  if (pattern.ends_with("/*")) {
    return type.size() > pattern.size() - 1 &&
           istarts_with(type, pattern.substr(0, pattern.size() - 1));
  }
  return http::iequals(type, pattern);
}

bool has_no_transform(std::span<const http::Header> headers) {
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, "cache-control")) continue;
    // Directive names only: "no-transform" never takes an argument.
    if (detail::list_contains(h.value, "no-transform")) return true;
  }
  return false;
}

bool status_compressible(int status) {
  return (status >= 200 && status <= 203) || (status >= 400 && status <= 599);
}

}  // namespace

std::string_view skip_text(Skip skip) {
  switch (skip) {
    case Skip::kNone:
      return "";
    case Skip::kStatus:
      return "status";
    case Skip::kNoTransform:
      return "no-transform";
    case Skip::kEncoded:
      return "encoded";
    case Skip::kRange:
      return "range";
    case Skip::kType:
      return "type";
    case Skip::kTooSmall:
      return "too-small";
  }
  return "";
}

bool is_compressible_type(std::string_view content_type, std::span<const std::string_view> types) {
  const std::string_view type = detail::media_type(content_type);
  if (type.empty()) return false;
  for (std::string_view pattern : types) {
    if (type_matches(type, pattern)) return true;
  }
  return false;
}

Skip check_eligible(int status, std::span<const http::Header> response_headers,
                    std::optional<uint64_t> length, std::span<const http::Header> request_headers,
                    const Policy& policy) {
  if (!status_compressible(status)) return Skip::kStatus;
  if (has_no_transform(response_headers) || has_no_transform(request_headers)) {
    return Skip::kNoTransform;
  }
  const http::Header* content_type = nullptr;
  for (const http::Header& h : response_headers) {
    if (http::iequals(h.name, "content-encoding")) {
      // Any coding already applied, even one listed with identity, rules us out.
      const bool identity_only = detail::for_each_list_element(
          h.value, [](std::string_view e) { return http::iequals(e, "identity"); });
      if (!identity_only) return Skip::kEncoded;
    } else if (http::iequals(h.name, "content-range")) {
      return Skip::kRange;
    } else if (content_type == nullptr && http::iequals(h.name, "content-type")) {
      content_type = &h;
    }
  }
  if (content_type == nullptr || !is_compressible_type(content_type->value, policy.types)) {
    return Skip::kType;
  }
  if (length && *length < policy.min_length) return Skip::kTooSmall;
  return Skip::kNone;
}

Decision decide(int status, std::span<const http::Header> response_headers,
                std::optional<uint64_t> length, std::span<const http::Header> request_headers,
                const Policy& policy, std::span<const Coding> preference) {
  Decision d;
  d.skip = check_eligible(status, response_headers, length, request_headers, policy);
  if (d.skip != Skip::kNone) return d;
  d.varies = true;
  d.coding = negotiate(request_headers, preference);
  return d;
}

}  // namespace rampart::compress
