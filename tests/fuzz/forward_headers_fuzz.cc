// Fuzzes what rampart makes of a client's forwarding headers: the client address taken
// from X-Forwarded-For behind trusted proxies, and the headers sent to the origin. The
// first byte holds flags (peer trusted, IPv6 peer, upgrade, chunked); the rest is
// split at '\n' into "name: value" header lines (the first line is the Host).
// Invariants: an untrusted peer can never choose its address or add hops to the
// forwarding headers; entries left of the real client change nothing; no hop-by-hop
// field, or field named in Connection, reaches the origin; rampart's own fields appear
// once each.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "fuzz_check.h"
#include "http/message.h"
#include "proxy/forward_headers.h"

namespace {

using namespace rampart;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

size_t count(const std::vector<http::Header>& headers, std::string_view name) {
  return static_cast<size_t>(
      std::count_if(headers.begin(), headers.end(),
                    [&](const http::Header& h) { return http::iequals(h.name, name); }));
}

const http::Header* find(const std::vector<http::Header>& headers, std::string_view name) {
  for (const http::Header& h : headers) {
    if (http::iequals(h.name, name)) return &h;
  }
  return nullptr;
}

bool in_xff(const http::RequestHead& request, const core::IpAddress& ip) {
  for (const http::Header& h : request.headers) {
    if (!http::iequals(h.name, "x-forwarded-for")) continue;
    std::string_view list = h.value;
    while (true) {
      const size_t comma = list.find(',');
      if (auto parsed = core::IpAddress::parse(trim(list.substr(0, comma)));
          parsed && *parsed == ip)
        return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

// The last comma-separated element of a Forwarded value; commas in quotes don't count.
std::string_view last_element(std::string_view value) {
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (quoted && value[i] == '\\') {
      ++i;
    } else if (value[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && value[i] == ',') {
      start = i + 1;
    }
  }
  return trim(value.substr(start));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  http::RequestHead request;
  request.method = "GET";
  request.target = request.path = "/";
  bool first = true;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (first) {
      request.host = line;
      first = false;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    request.headers.push_back({line.substr(0, colon), trim(line.substr(colon + 1))});
  }
  if (flags & 4) {
    request.flags.upgrade = true;
    request.upgrade_protocol = "websocket";
  }
  if (flags & 8) request.body = http::BodyKind::kChunked;

  // Trusted proxies: 10.0.0.0/8 and fd00::/8; the peer is one of them or not.
  core::CidrSet trusted;
  trusted.add(*core::Cidr::parse("10.0.0.0/8"));
  trusted.add(*core::Cidr::parse("fd00::/8"));
  const bool v6 = flags & 2;
  const bool peer_trusted = flags & 1;
  const core::IpAddress peer = *core::IpAddress::parse(
      v6 ? (peer_trusted ? "fd00::7" : "2001:db8::7") : (peer_trusted ? "10.1.2.3" : "192.0.2.7"));

  const core::IpAddress client = proxy::effective_client_ip(request, peer, trusted);
  if (!peer_trusted) FUZZ_CHECK(client == peer);
  FUZZ_CHECK(client == peer || in_xff(request, client));
  if (!trusted.contains(client)) {
    // Whatever a client writes left of itself is ignored.
    http::RequestHead forged = request;
    std::string spoof;
    for (http::Header& h : forged.headers) {
      if (!http::iequals(h.name, "x-forwarded-for")) continue;
      spoof = "198.51.100.66, " + std::string(h.value);
      h.value = spoof;
      break;
    }
    FUZZ_CHECK(proxy::effective_client_ip(forged, peer, trusted) == client);
  }

  proxy::ForwardingFacts facts;
  facts.peer = &peer;
  facts.peer_trusted = peer_trusted;
  facts.request_id = "req-1";
  facts.proto = "https";
  facts.upgrade = request.flags.upgrade;
  proxy::ForwardScratch scratch;
  std::vector<http::Header> out;
  proxy::build_upstream_headers(request, facts, scratch, out);

  for (std::string_view own :
       {"x-forwarded-for", "x-forwarded-proto", "forwarded", "via", "x-request-id"}) {
    FUZZ_CHECK(count(out, own) == 1);
  }
  FUZZ_CHECK(count(out, "host") == (request.host.empty() ? 0u : 1u));
  FUZZ_CHECK(count(out, "transfer-encoding") ==
             (request.body == http::BodyKind::kChunked ? 1u : 0u));
  FUZZ_CHECK(count(out, "expect") == 0);
  const std::string peer_text = peer.to_string();
  const std::string_view xff = find(out, "x-forwarded-for")->value;
  FUZZ_CHECK(xff.ends_with(peer_text));
  const std::string_view fwd = find(out, "forwarded")->value;
  const std::string for_peer = v6 ? "for=\"[" + peer_text + "]\"" : "for=" + peer_text;
  if (!peer_trusted) {
    // The client's own X-Forwarded-For and Forwarded never reach the origin.
    FUZZ_CHECK(xff == peer_text);
    FUZZ_CHECK(fwd.starts_with(for_peer + ";proto=https"));
  } else {
    FUZZ_CHECK(fwd.find(for_peer + ";proto=https") != std::string_view::npos);
  }
  // rampart's element is the last one of Forwarded, whatever came before it, as long as
  // the Host is one the parsers accept (no quote or backslash) and a trusted proxy's
  // Forwarded left no quoted string open.
  bool quotes_closed = true;
  for (const http::Header& h : request.headers) {
    if (peer_trusted && http::iequals(h.name, "forwarded") &&
        h.value.find('"') != std::string_view::npos) {
      quotes_closed = false;
    }
  }
  if (quotes_closed && request.host.find_first_of("\"\\") == std::string_view::npos) {
    FUZZ_CHECK(last_element(fwd).starts_with(for_peer + ";proto=https"));
  }
  for (const http::Header& h : out) {
    if (facts.upgrade && (http::iequals(h.name, "connection") || http::iequals(h.name, "upgrade")))
      continue;
    if (http::iequals(h.name, "transfer-encoding") && h.value == "chunked") continue;
    FUZZ_CHECK(!http::is_hop_by_hop(h.name));
    // Every field the client marked hop-by-hop in Connection stays here, unless rampart
    // sets it itself.
    bool own = false;
    for (std::string_view o :
         {"host", "x-forwarded-for", "x-forwarded-proto", "forwarded", "via", "x-request-id"}) {
      own = own || http::iequals(h.name, o);
    }
    if (!own) FUZZ_CHECK(!proxy::named_in_connection(request.headers, h.name));
  }
  if (facts.upgrade) FUZZ_CHECK(count(out, "connection") == 1 && count(out, "upgrade") == 1);

  // The same rules on an origin's response.
  http::ResponseHead response;
  response.status = 200;
  response.headers = request.headers;
  proxy::filter_response_headers(response, out);
  for (const http::Header& h : out) {
    FUZZ_CHECK(!http::is_hop_by_hop(h.name));
    FUZZ_CHECK(!proxy::named_in_connection(response.headers, h.name));
  }
  return 0;
}
