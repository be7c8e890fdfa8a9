#include "http/message.h"

#include <array>

namespace rampart::http {

namespace {

constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

template <typename Head>
const Header* find_header(const Head& head, std::string_view name) {
  for (const Header& h : head.headers) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kHopByHop = {
      "connection",        "keep-alive",         "proxy-connection",   "te", "trailer", "upgrade",
      "transfer-encoding", "proxy-authenticate", "proxy-authorization"};
  for (std::string_view h : kHopByHop) {
    if (iequals(name, h)) return true;
  }
  return false;
}

const Header* RequestHead::find(std::string_view name) const {
  return find_header(*this, name);
}
const Header* ResponseHead::find(std::string_view name) const {
  return find_header(*this, name);
}

void RequestHead::clear() {
  method = target = path = query = host = upgrade_protocol = {};
  version_minor = 1;
  headers.clear();
  body = BodyKind::kNone;
  content_length = 0;
  flags = {};
}

void ResponseHead::clear() {
  status = 0;
  version_minor = 1;
  reason = {};
  headers.clear();
  body = BodyKind::kNone;
  content_length = 0;
  keep_alive = true;
}

}  // namespace rampart::http
