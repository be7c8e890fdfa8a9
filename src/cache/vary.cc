#include "cache/vary.h"

#include <algorithm>

#include "cache/field_text.h"

namespace rampart::cache {

VaryFields parse_vary(std::span<const http::Header> response_headers) {
  VaryFields out;
  for (const http::Header& h : response_headers) {
    if (!http::iequals(h.name, "vary")) continue;
    detail::for_each_list_element(h.value, [&](std::string_view name) {
      if (name == "*") {
        out.status = VaryStatus::kStar;
        return false;
      }
      if (!detail::is_token(name)) {
        out.status = VaryStatus::kInvalid;
        return false;
      }
      for (const std::string& n : out.names) {
        if (http::iequals(n, name)) return true;
      }
      if (out.names.size() >= kMaxVaryFields) {
        out.status = VaryStatus::kTooManyFields;
        return false;
      }
      out.names.push_back(detail::lower_copy(name));
      return true;
    });
    // "*" decides regardless of what else is listed; the other errors stop parsing too.
    if (out.status != VaryStatus::kOk) break;
  }
  if (out.status != VaryStatus::kOk) {
    out.names.clear();
  } else {
    std::sort(out.names.begin(), out.names.end());
  }
  return out;
}

VaryKey build_vary_key(const VaryFields& vary, std::span<const http::Header> request_headers) {
  VaryKey out;
  out.status = vary.status;
  if (vary.status != VaryStatus::kOk) return out;
  std::string value;
  for (const std::string& name : vary.names) {
    bool present = false;
    bool too_large = false;
    value.clear();
    detail::for_each_field(request_headers, name, [&](std::string_view line) {
      present = true;
      detail::for_each_list_element(line, [&](std::string_view element) {
        if (value.size() + element.size() + 1 > kMaxVaryKeyBytes) {
          too_large = true;
          return false;
        }
        if (!value.empty()) value.push_back(',');
        value.append(element);
        return true;
      });
    });
    out.key.append(name);
    out.key.push_back(':');
    if (!present) {
      out.key.push_back('-');
    } else {
      out.key.append(std::to_string(value.size()));
      out.key.push_back(':');
      out.key.append(value);
    }
    if (too_large || out.key.size() > kMaxVaryKeyBytes) {
      out.status = VaryStatus::kKeyTooLarge;
      out.key.clear();
      return out;
    }
  }
  return out;
}

VaryKey build_vary_key(std::span<const http::Header> response_headers,
                       std::span<const http::Header> request_headers) {
  return build_vary_key(parse_vary(response_headers), request_headers);
}

}  // namespace rampart::cache
