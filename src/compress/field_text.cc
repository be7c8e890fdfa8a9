#include "compress/field_text.h"

namespace rampart::compress::detail {
std::string_view media_type(std::string_view content_type) {
  return trim_ows(content_type.substr(0, content_type.find(';')));
}

bool list_contains(std::string_view list, std::string_view name) {
  return !for_each_list_element(list, [&](std::string_view e) { return !http::iequals(e, name); });
}

}  // namespace rampart::compress::detail
