#pragma once
// What rampart tells the origin about a request: the client's headers minus the
// hop-by-hop ones, plus X-Forwarded-For/-Proto, Forwarded, Via and X-Request-Id.

#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "http/message.h"

namespace rampart::proxy {

struct ForwardingFacts {
  const core::IpAddress* peer = nullptr;  // the TCP peer
  bool peer_trusted = false;              // peer is in trusted_proxies
  std::string_view request_id;
  std::string_view proto = "http";
  bool upgrade = false;  // pass Connection: upgrade + Upgrade through
  // The request's Via entry: the protocol rampart received it with.
  std::string_view via = "1.1 rampart";
};

// Strings built for one request; reused across requests to avoid allocations.
struct ForwardScratch {
  std::string peer_text;  // kept across requests: the peer of a connection never changes
  std::string forwarded_for;
  std::string forwarded;
  void clear() {
    forwarded_for.clear();
    forwarded.clear();
  }
};

// Fills `out` with the headers to send upstream. Values are views into the request's
// buffer or into `scratch`, which must outlive the upstream write.
void build_upstream_headers(const http::RequestHead& request, const ForwardingFacts& facts,
                            ForwardScratch& scratch, std::vector<http::Header>& out);

// Filters an origin's response headers for the client: hop-by-hop headers and those
// named in its Connection header are dropped.
void filter_response_headers(const http::ResponseHead& response, std::vector<http::Header>& out);

// The client address: the peer, unless the peer is a trusted proxy, in which case the
// rightmost X-Forwarded-For entry that is not itself a trusted proxy.
core::IpAddress effective_client_ip(const http::RequestHead& request, const core::IpAddress& peer,
                                    const core::CidrSet& trusted);

// True when `name` is listed as a token in any Connection header of `headers`.
bool named_in_connection(const std::vector<http::Header>& headers, std::string_view name);

bool is_idempotent(std::string_view method);

}  // namespace rampart::proxy
