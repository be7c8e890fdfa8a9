// The walker's named lists: IP lists written inline or read from a file, referenced
// from rule expressions by name.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"
#include "core/ip_range_set.h"

namespace rampart::config::detail {
namespace {

const Keys kListKeys = {"kind", "items", "file", "max_entries", "max_bytes", "max_change"};
const Keys kListKinds = {"ip"};

constexpr uint64_t kDefaultMaxEntries = 2'000'000;
constexpr uint64_t kMaxMaxEntries = 50'000'000;
constexpr uint64_t kDefaultMaxBytes = uint64_t{64} << 20;
constexpr uint64_t kMaxMaxBytes = uint64_t{1} << 30;
constexpr size_t kMaxPathBytes = 4096;

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

void Walker::lists(const At& at) {
  if (at.node.IsNull()) return;
  if (!at.node.IsMap()) {
    wrong_type(at, "a map from list names to lists");
    return;
  }
  if (at.node.size() > kMaxLists) {
    error(at, "too many lists: " + std::to_string(at.node.size()) + " (the limit is " +
                  std::to_string(kMaxLists) + ")");
    return;
  }
  // The keys are names the user picks, so fields() (a fixed schema) does not apply.
  std::map<std::string, Pos, std::less<>> seen;
  for (auto it = at.node.begin(); it != at.node.end(); ++it) {
    if (!visit()) return;
    const YAML::Node key_node = it->first;
    Pos key_pos = to_pos(key_node.Mark());
    if (key_pos.line == 0) key_pos = at.pos;
    At key_at{key_node, key_pos, at.path};
    if (!key_node.IsScalar()) {
      error(key_at, "keys must be plain strings, got " + describe(key_node));
      continue;
    }
    const std::string& name = key_node.Scalar();
    if (!is_label(name)) {
      error(key_at, quote(name) + " is not a valid list name: use 1-64 characters of " +
                        "A-Z a-z 0-9 . _ -");
      continue;
    }
    auto [first, inserted] = seen.emplace(name, key_pos);
    if (!inserted) {
      error(key_at, "list \"" + name + "\" is defined twice; the first is at line " +
                        std::to_string(first->second.line));
      continue;
    }
    const YAML::Node value = it->second;
    Pos value_pos = value.IsNull() ? key_pos : to_pos(value.Mark());
    if (value_pos.line == 0) value_pos = key_pos;
    named_list(At{value, value_pos, key_path(at.path, name)}, name, key_pos);
    if (diags_.stopped()) return;
  }
}

void Walker::named_list(const At& at, const std::string& name, Pos name_pos) {
  if (!at.node.IsMap()) {
    wrong_type(at, "a list map with items or file");
    return;
  }
  NamedList list;
  list.name = name;
  list.line = name_pos.line;
  list.column = name_pos.column;
  core::IpRangeSet::Builder builder;
  std::optional<At> items_at;
  std::optional<At> file_at;
  std::optional<At> limit_at;  // the first of max_entries, max_bytes and max_change
  std::optional<std::string> file;
  uint64_t max_entries = kDefaultMaxEntries;
  uint64_t max_bytes = kDefaultMaxBytes;
  double max_change = 0.5;
  bool ok = true;
  fields(at, kListKeys, "", [&](std::string_view key, const At& v) {
    if (key == "kind") {
      if (!one_of(v, kListKinds)) ok = false;
    } else if (key == "items") {
      items_at = v;
      ok = items(v, kMaxInlineListItems, "list items",
                 [&](const At& item, size_t) {
                   auto s = string(item);
                   if (!s) {
                     ok = false;
                     return;
                   }
                   auto cidr = core::Cidr::parse(*s);
                   if (!cidr) {
                     error(item,
                           quote(*s) + " is not an IP address or CIDR prefix (e.g. 192.0.2.0/24)");
                     ok = false;
                     return;
                   }
                   builder.add(*cidr);
                 }) &&
           ok;
    } else if (key == "file") {
      file_at = v;
      auto s = string(v);
      if (!s) {
        ok = false;
      } else if (s->empty()) {
        error(v, "expected a file path, got an empty string");
        ok = false;
      } else if (s->size() > kMaxPathBytes) {
        error(v, "the path is longer than 4096 characters");
        ok = false;
      } else if (has_control(*s)) {
        error(v, "the path contains control characters");
        ok = false;
      } else {
        file = *s;
      }
    } else if (key == "max_entries") {
      if (!limit_at) limit_at = v;
      if (auto n = integer(v, 1, kMaxMaxEntries)) {
        max_entries = *n;
      } else {
        ok = false;
      }
    } else if (key == "max_bytes") {
      if (!limit_at) limit_at = v;
      if (auto n = size(v, 1, kMaxMaxBytes)) {
        max_bytes = *n;
      } else {
        ok = false;
      }
    } else if (key == "max_change") {
      if (!limit_at) limit_at = v;
      if (auto p = percent(v, 1000)) {
        max_change = *p / 100.0;
      } else {
        ok = false;
      }
    }
  });
  if (diags_.stopped()) return;
  if (items_at && file_at) {
    error(*file_at, "a list has either items or file, not both");
    return;
  }
  if (!items_at && !file_at) {
    missing(at.pos, at.path, "items", "or \"file\"; a list needs one of them");
    return;
  }
  if (items_at && limit_at) {
    error(*limit_at,
          "max_entries, max_bytes and max_change apply to a list file; inline items are "
          "capped at " +
              std::to_string(kMaxInlineListItems));
    return;
  }
  if (!ok) return;

  if (file) {
    list.file = resolve_path(*file);
    core::IpListLoad loaded = core::load_ip_list_file(list.file, max_entries, max_bytes);
    if (!loaded.errors.empty() || !loaded.set) {
      // A feed's errors point into the feed, so each names its line there; the config
      // position is the `file:` value that brought the feed in.
      std::string prefix = "list \"" + name + "\": " + *file;
      for (const core::IpListError& e : loaded.errors) {
        std::string line = e.line > 0 ? " line " + std::to_string(e.line) : "";
        diags_.error(file_at->pos, prefix + line + ": " + e.message);
      }
      if (loaded.errors.empty()) diags_.error(file_at->pos, prefix + ": cannot be loaded");
      return;
    }
    list.ips = std::move(loaded.set);
    list.live = std::make_shared<core::LiveIpSet>(list.ips, true);
    list.max_entries = max_entries;
    list.max_bytes = max_bytes;
    list.max_change = max_change;
  } else {
    list.ips = std::make_shared<const core::IpRangeSet>(std::move(builder).build());
    list.live = std::make_shared<core::LiveIpSet>(list.ips, false);
  }
  cfg_.lists[name] = std::move(list);
}

std::string Walker::resolve_path(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir_.empty()) return path;
  return (std::filesystem::path(base_dir_) / p).lexically_normal().string();
}

}  // namespace rampart::config::detail
