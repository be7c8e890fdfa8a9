#pragma once
// Debian's modsecurity.conf and the OWASP CRS 3.3 as installed by the modsecurity-crs
// package, loaded in the order the managed WAF uses, with the rule engine on: the rule
// set the WAF benchmarks (micro-benchmarks, bench/waf_instructions.sh) measure.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "seclang/rule_set.h"

namespace rampart::seclang::bench {

// Null when the CRS is not installed or does not load. `prefilter` builds the Vectorscan
// prefilters too, as the waf module does in the background after a load.
inline std::shared_ptr<const RuleSet> load_debian_crs(bool prefilter) {
  std::vector<std::string> files{"/etc/nginx/modsecurity.conf",
                                 "/etc/modsecurity/crs/crs-setup.conf"};
  std::vector<std::string> conf;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator("/usr/share/modsecurity-crs/rules", ec)) {
    if (e.path().extension() == ".conf") conf.push_back(e.path().string());
  }
  std::sort(conf.begin(), conf.end());
  files.insert(files.end(), conf.begin(), conf.end());
  LoadOptions options;
  options.adjust_settings = [](EngineSettings& s) { s.mode = EngineMode::kOn; };
  std::vector<LoadError> errors;
  auto set = RuleSet::load(files, "", options, errors);
  if (set && prefilter) set->build_prefilters();
  return set;
}

}  // namespace rampart::seclang::bench
