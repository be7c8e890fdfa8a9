#pragma once
// `rampart rules test`: evaluates one expression against a raw HTTP request and shows
// every field it read, so a rule can be debugged before it is deployed.

#include <string>

namespace rampart::app {

struct RulesTestOptions {
  std::string expression;
  std::string request_file;  // raw HTTP/1.1 request; "-" reads standard input
  std::string client_ip = "192.0.2.1";
  bool tls = false;
  int response_status = 0;  // for http.response.code; 0 = no response yet
  std::string config_file;  // optional: the config whose lists $name refers to
};

// Exit status: 0 the expression matches, 1 it does not, 2 an error (printed).
int rules_test(const RulesTestOptions& options);

}  // namespace rampart::app
