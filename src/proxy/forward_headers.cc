#include "proxy/forward_headers.h"

namespace rampart::proxy {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <typename Fn>
void for_each_token(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view token = trim(list.substr(0, comma));
    if (!token.empty()) fn(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// The Connection fields of a head, found once: each other field is then checked against
// them. Every HTTP/2 request carries one (`connection: close`, added by its stream
// layer), so a rescan of the whole head per field would cost n² name comparisons.
class ConnectionNames {
 public:
  explicit ConnectionNames(const std::vector<http::Header>& headers) : headers_(headers) {
    for (const http::Header& h : headers) {
      if (!http::iequals(h.name, "connection")) continue;
      several_ = first_ != nullptr;
      if (first_ == nullptr) first_ = &h;
    }
  }
  bool contains(std::string_view name) const {
    if (first_ == nullptr) return false;
    if (several_) return named_in_connection(headers_, name);
    bool found = false;
    for_each_token(first_->value, [&](std::string_view token) {
      if (!found && http::iequals(token, name)) found = true;
    });
    return found;
  }

 private:
  const std::vector<http::Header>& headers_;
  const http::Header* first_ = nullptr;
  bool several_ = false;
};

bool dropped_request_header(std::string_view name) {
  // Expect is answered by rampart itself; Host is re-sent as received.
  return http::is_hop_by_hop(name) || http::iequals(name, "expect");
}

}  // namespace

bool named_in_connection(const std::vector<http::Header>& headers, std::string_view name) {
  bool found = false;
  for (const http::Header& h : headers) {
    if (!http::iequals(h.name, "connection")) continue;
    for_each_token(h.value, [&](std::string_view token) {
      if (http::iequals(token, name)) found = true;
    });
  }
  return found;
}

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

void build_upstream_headers(const http::RequestHead& request, const ForwardingFacts& facts,
                            ForwardScratch& scratch, std::vector<http::Header>& out) {
  out.clear();
  // Host comes from the parsed request: for an absolute-form target that is the
  // target's authority, which overrides any Host header (RFC 9112 3.2.2).
  if (!request.host.empty()) out.push_back({"Host", request.host});
  const ConnectionNames connection(request.headers);
  // Repeated X-Forwarded-For / Forwarded lines form one list (RFC 9110 5.3).
  auto append_list = [](std::string& to, std::string_view value) {
    if (!to.empty()) to.append(", ");
    to.append(value);
  };
  for (const http::Header& h : request.headers) {
    if (dropped_request_header(h.name) || http::iequals(h.name, "host")) continue;
    if (connection.contains(h.name)) continue;
    if (http::iequals(h.name, "x-forwarded-for")) {
      if (facts.peer_trusted) append_list(scratch.forwarded_for, h.value);
      continue;
    }
    if (http::iequals(h.name, "forwarded")) {
      if (facts.peer_trusted) append_list(scratch.forwarded, h.value);
      continue;
    }
    if (http::iequals(h.name, "x-forwarded-proto") || http::iequals(h.name, "x-request-id") ||
        http::iequals(h.name, "via")) {
      continue;  // rampart sets these itself
    }
    out.push_back(h);
  }
  if (request.body == http::BodyKind::kChunked) out.push_back({"Transfer-Encoding", "chunked"});
  if (facts.upgrade) {
    out.push_back({"Connection", "upgrade"});
    out.push_back({"Upgrade", request.upgrade_protocol});
  }

  if (scratch.peer_text.empty()) scratch.peer_text = facts.peer->to_string();
  append_list(scratch.forwarded_for, scratch.peer_text);
  out.push_back({"X-Forwarded-For", scratch.forwarded_for});
  out.push_back({"X-Forwarded-Proto", facts.proto});

  if (!scratch.forwarded.empty()) scratch.forwarded.append(", ");
  scratch.forwarded.append("for=");
  if (facts.peer->v4) {
    scratch.forwarded.append(scratch.peer_text);
  } else {
    scratch.forwarded.append("\"[").append(scratch.peer_text).append("]\"");
  }
  scratch.forwarded.append(";proto=").append(facts.proto);
  if (!request.host.empty()) {
    scratch.forwarded.append(";host=\"").append(request.host).append("\"");
  }
  out.push_back({"Forwarded", scratch.forwarded});
  out.push_back({"Via", facts.via});
  out.push_back({"X-Request-Id", facts.request_id});
}

void filter_response_headers(const http::ResponseHead& response, std::vector<http::Header>& out) {
  out.clear();
  const ConnectionNames connection(response.headers);
  for (const http::Header& h : response.headers) {
    if (http::is_hop_by_hop(h.name)) continue;
    if (connection.contains(h.name)) continue;
    out.push_back(h);
  }
}

core::IpAddress effective_client_ip(const http::RequestHead& request, const core::IpAddress& peer,
                                    const core::CidrSet& trusted) {
  if (trusted.empty() || !trusted.contains(peer)) return peer;
  // Walk every X-Forwarded-For value from the right; the first hop that is not a
  // trusted proxy is the client. Entries left of it could be forged by that client.
  std::vector<std::string_view> hops;
  for (const http::Header& h : request.headers) {
    if (!http::iequals(h.name, "x-forwarded-for")) continue;
    for_each_token(h.value, [&](std::string_view token) { hops.push_back(token); });
  }
  core::IpAddress client = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto ip = core::IpAddress::parse(*it);
    if (!ip) break;
    client = *ip;
    if (!trusted.contains(*ip)) break;
  }
  return client;
}

}  // namespace rampart::proxy
