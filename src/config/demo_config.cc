// The config `rampart run` uses when no file is given: loopback only, in front of the
// demo origin that `make run` starts on 127.0.0.1:8081.

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

sites:
  - name: demo
    default: true
    hosts: [localhost, 127.0.0.1, "*.localhost"]
    origin:
      endpoints: [127.0.0.1:8081]
    request_headers:
      - set: { name: X-Edge, value: rampart }
    response_headers:
      - set: { name: X-Served-By, value: rampart }
      - remove: X-Powered-By
    redirects:
      - from: /old
        to: /
        status: 301
)yaml";
  return kDemo;
}

}  // namespace rampart::config
