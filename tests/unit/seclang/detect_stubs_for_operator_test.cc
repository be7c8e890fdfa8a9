// TEMPORARY: stand-ins for detect_sqli/detect_xss until their branch is merged. Deleted
// before the operators branch's last commit.
#include <string>
#include <string_view>

namespace rampart::seclang {
bool detect_sqli(std::string_view input, std::string* fingerprint) {
  bool hit = input.find("' OR '") != std::string_view::npos;
  if (hit && fingerprint != nullptr) *fingerprint = "s&sos";
  return hit;
}
bool detect_xss(std::string_view input) {
  return input.find("<script") != std::string_view::npos;
}
}  // namespace rampart::seclang
