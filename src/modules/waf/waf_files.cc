#include <algorithm>
#include <filesystem>
#include <system_error>

#include "modules/waf/waf_module.h"

namespace rampart::modules::waf {

std::vector<std::string> waf_rule_files(const config::WafSettings& settings,
                                        std::vector<config::Diagnostic>& errors) {
  std::vector<std::string> files = settings.files;
  if (!settings.crs) return files;
  files.push_back(settings.crs_setup);
  // Debian's owasp-crs.load order: the exclusion file before the rules, the one after
  // them last; both live beside crs-setup.conf when the package installs them.
  namespace fs = std::filesystem;
  fs::path setup_dir = fs::path(settings.crs_setup).parent_path();
  std::error_code ec;
  fs::path before = setup_dir / "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf";
  fs::path after = setup_dir / "RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf";
  if (fs::is_regular_file(before, ec)) files.push_back(before.string());
  std::vector<std::string> rules;
  for (fs::directory_iterator it(settings.crs_rules, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == ".conf" && it->is_regular_file(ec)) rules.push_back(p.string());
  }
  if (ec) {
    errors.push_back({"", settings.line, 0,
                      "waf.crs_rules: cannot read " + settings.crs_rules + ": " + ec.message()});
    return files;
  }
  if (rules.empty()) {
    errors.push_back(
        {"", settings.line, 0, "waf.crs_rules: no *.conf files in " + settings.crs_rules});
  }
  std::sort(rules.begin(), rules.end());
  files.insert(files.end(), rules.begin(), rules.end());
  if (fs::is_regular_file(after, ec)) files.push_back(after.string());
  return files;
}

}  // namespace rampart::modules::waf
