// The walker's shared helpers and typed readers: messages, unknown keys, scalars by type.

#include <chrono>
#include <string>
#include <vector>

#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

constexpr Millis kMaxTimeout = std::chrono::hours(24);

std::string join(const Keys& keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

bool is_label_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

bool contains(const Keys& keys, std::string_view key) {
  for (std::string_view k : keys) {
    if (k == key) return true;
  }
  return false;
}

bool is_label(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!is_label_char(c)) return false;
  }
  return true;
}

bool is_field_value(std::string_view text) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::string item_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string key_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

Pos to_pos(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return Pos{};
  return Pos{mark.line + 1, mark.column + 1};
}

void Walker::error(const At& at, const std::string& message) {
  diags_.error(at.pos, at.path.empty() ? message : at.path + ": " + message);
}

void Walker::missing(Pos pos, const std::string& path, std::string_view key, std::string_view why) {
  std::string msg = (path.empty() ? std::string() : path + ": ") + "missing required key \"" +
                    std::string(key) + "\"";
  if (!why.empty()) msg += " (" + std::string(why) + ")";
  diags_.error(pos, msg);
}

std::string Walker::describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    default:
      return "an undefined value";
  }
}

void Walker::wrong_type(const At& at, std::string_view expected) {
  error(at, "expected " + std::string(expected) + ", got " + describe(at.node));
}

void Walker::unknown_key(const At& at, std::string_view key, const Keys& known,
                         std::string_view what) {
  std::string msg = "unknown key " + quote(key);
  if (!what.empty()) msg += " (" + std::string(what) + ")";
  if (key == "<<") {
    msg += " (YAML merge keys are not supported; use an alias for the whole value)";
  } else if (std::string best = detail::closest_match(key, known); !best.empty()) {
    msg += "; did you mean \"" + best + "\"?";
  } else {
    msg += " (expected one of: " + join(known) + ")";
  }
  error(at, msg);
}

std::optional<std::string> Walker::string(const At& at) {
  if (!at.node.IsScalar()) {
    wrong_type(at, "a string");
    return std::nullopt;
  }
  return at.node.Scalar();
}

std::optional<bool> Walker::boolean(const At& at) {
  if (!at.node.IsScalar()) {
    wrong_type(at, "true or false");
    return std::nullopt;
  }
  auto b = parse_bool(at.node.Scalar());
  if (!b) error(at, b.error);
  return b.value;
}

std::optional<std::string> Walker::one_of(const At& at, const Keys& allowed) {
  auto s = string(at);
  if (!s) return std::nullopt;
  if (contains(allowed, *s)) return s;
  std::string msg = quote(*s) + " is not one of: " + join(allowed);
  if (std::string best = detail::closest_match(*s, allowed); !best.empty()) {
    msg += "; did you mean \"" + best + "\"?";
  }
  error(at, msg);
  return std::nullopt;
}

std::optional<uint64_t> Walker::integer(const At& at, uint64_t min, uint64_t max) {
  if (!at.node.IsScalar()) {
    wrong_type(at, "a whole number");
    return std::nullopt;
  }
  auto n = parse_uint(at.node.Scalar());
  if (!n) {
    error(at, n.error);
    return std::nullopt;
  }
  if (*n.value < min || *n.value > max) {
    error(at, std::to_string(*n.value) + " is out of range (" + std::to_string(min) + " to " +
                  std::to_string(max) + ")");
    return std::nullopt;
  }
  return n.value;
}

std::optional<uint64_t> Walker::size(const At& at, uint64_t min, uint64_t max) {
  if (!at.node.IsScalar()) {
    wrong_type(at, "a size such as 64KiB");
    return std::nullopt;
  }
  auto n = parse_size(at.node.Scalar());
  if (!n) {
    error(at, n.error);
    return std::nullopt;
  }
  if (*n.value < min || *n.value > max) {
    error(at, quote(at.node.Scalar()) + " is out of range (" + format_size(min) + " to " +
                  format_size(max) + ")");
    return std::nullopt;
  }
  return n.value;
}

std::optional<Millis> Walker::any_duration(const At& at) {
  if (!at.node.IsScalar()) {
    wrong_type(at, "a duration such as 10s");
    return std::nullopt;
  }
  auto d = parse_duration(at.node.Scalar());
  if (!d) {
    error(at, d.error);
    return std::nullopt;
  }
  return d.value;
}

std::optional<Millis> Walker::duration(const At& at) {
  auto d = any_duration(at);
  if (d && (d->count() <= 0 || *d > kMaxTimeout)) {
    error(at, quote(at.node.Scalar()) + " is out of range (more than 0, at most 24h)");
    return std::nullopt;
  }
  return d;
}

std::optional<Millis> Walker::duration_in(const At& at, Millis min, Millis max) {
  auto d = any_duration(at);
  if (d && (*d < min || *d > max)) {
    error(at, quote(at.node.Scalar()) + " is out of range (" + format_duration(min) + " to " +
                  format_duration(max) + ")");
    return std::nullopt;
  }
  return d;
}

std::optional<uint32_t> Walker::percent(const At& at, uint32_t max) {
  if (!at.node.IsScalar()) {
    wrong_type(at, "a percentage such as 20%");
    return std::nullopt;
  }
  auto p = parse_percent(at.node.Scalar());
  if (!p) {
    error(at, p.error);
    return std::nullopt;
  }
  if (*p.value > max) {
    error(at, quote(at.node.Scalar()) + " is out of range (0% to " + std::to_string(max) + "%)");
    return std::nullopt;
  }
  return p.value;
}

}  // namespace rampart::config::detail
