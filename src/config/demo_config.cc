// The config `rampart run` uses when no file is given: loopback only, in front of the
// two demo origins that `make run` starts on 127.0.0.1:8081 and :8082.

#include "config/config.h"

namespace rampart::config {

std::string_view embedded_demo_config() {
  static constexpr std::string_view kDemo = R"yaml(# rampart demo config (compiled in).
version: demo

listeners:
  - name: demo
    address: 127.0.0.1:8080

admin:
  address: 127.0.0.1:9901
  token: demo-admin-token-change-me

access_log:
  path: stdout

lists:
  documentation_nets:            # the address blocks RFC 5737 / RFC 3849 reserve for docs
    items: [192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, "2001:db8::/32"]

firewall:                        # config-wide rules, evaluated before each site's
  rules:
    - id: no-dotfiles
      description: nobody needs /.git or /.env from the outside
      expression: starts_with(http.request.uri.path, "/.") or http.request.uri.path contains "/."
      action: block
    - id: doc-nets
      expression: ip.src in $documentation_nets
      action: block

pools:
  demo:                          # both demo origins, least busy first, checked every 2 s
    steering: least_outstanding
    endpoints: [127.0.0.1:8081, 127.0.0.1:8082]
    health_check:
      path: /health
      expected_codes: 2xx
      interval: 2s
      timeout: 1s

sites:
  - name: demo
    default: true
    hosts: [localhost, 127.0.0.1, "*.localhost"]
    origin:
      pool: demo
      retries: { max_tries: 2, retry_on: [connect_failure, reset, timeout, gateway_error] }
    cache:
      enabled: true              # what the origin marks cacheable is served from memory
      always_online: true        # stale copies answer while every origin is down
    request_headers:
      - set: { name: X-Edge, value: rampart }
    response_headers:
      - set: { name: X-Served-By, value: rampart }
      - remove: X-Powered-By
    redirects:
      - from: /old
        to: /
        status: 301
    firewall:
      rules:
        - id: no-wp-probes
          expression: http.request.uri.path wildcard "/wp-*" or http.request.uri.path.extension in {"php" "asp"}
          action: block
          action_parameters:
            status_code: 404
            content_type: text/plain
            content: "Not here.\n"
        - id: curl-seen
          expression: lower(http.user_agent) contains "curl"
          action: log
)yaml";
  return kDemo;
}

}  // namespace rampart::config
