#include "compress/response_fields.h"

#include <algorithm>

#include "compress/field_text.h"

namespace rampart::compress {
namespace {

bool describes_identity_bytes(std::string_view name) {
  return http::iequals(name, "content-length") || http::iequals(name, "content-md5") ||
         http::iequals(name, "content-digest") || http::iequals(name, "repr-digest") ||
         http::iequals(name, "accept-ranges") || http::iequals(name, "content-encoding");
}

}  // namespace

void add_vary_accept_encoding(std::vector<http::Header>& headers, EditedValues& values) {
  http::Header* last = nullptr;
  for (http::Header& h : headers) {
    if (!http::iequals(h.name, "vary")) continue;
    if (detail::list_contains(h.value, "*") || detail::list_contains(h.value, "accept-encoding")) {
      return;
    }
    last = &h;
  }
  if (last == nullptr) {
    headers.push_back({"Vary", "Accept-Encoding"});
    return;
  }
  const std::string_view existing = detail::trim_ows(last->value);
  if (existing.empty()) {
    last->value = "Accept-Encoding";
    return;
  }
  values.vary.assign(existing);
  values.vary += ", Accept-Encoding";
  last->value = values.vary;
}

void apply_coding(std::vector<http::Header>& headers, Coding coding, EditedValues& values) {
  if (coding == Coding::kIdentity) {
    add_vary_accept_encoding(headers, values);
    return;
  }
  // One ETag is kept (a second line is a broken origin's), and only an entity-tag.
  bool etag_kept = false;
  std::erase_if(headers, [&](const http::Header& h) {
    if (describes_identity_bytes(h.name)) return true;
    if (!http::iequals(h.name, "etag")) return false;
    std::string_view tag = detail::trim_ows(h.value);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (etag_kept || tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return true;
    etag_kept = true;
    return false;
  });
  for (http::Header& h : headers) {
    if (!http::iequals(h.name, "etag")) continue;
    const std::string_view tag = detail::trim_ows(h.value);
    if (tag.starts_with("W/")) {
      h.value = tag;
      continue;
    }
    values.etag = "W/";
    values.etag += tag;
    h.value = values.etag;
  }
  headers.push_back({"Content-Encoding", coding_token(coding)});
  add_vary_accept_encoding(headers, values);
}

}  // namespace rampart::compress
