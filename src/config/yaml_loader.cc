// YAML text -> Config. Walks the node tree along the schema (never generically: YAML
// aliases can form cycles), reporting every problem with its position and carrying on.

#include <xxhash.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <istream>
#include <streambuf>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"

namespace rampart::config {
namespace {

using detail::Diagnostics;
using detail::Pos;
using detail::SiteSource;
using detail::SourceMap;

using Keys = std::vector<std::string_view>;

const Keys kRootKeys = {"version",    "workers",       "listeners",       "admin",
                        "access_log", "log_level",     "trusted_proxies", "limits",
                        "timeouts",   "allow_connect", "modules",         "sites"};
const Keys kListenerKeys = {"name", "address"};
const Keys kAdminKeys = {"enabled", "address", "token"};
const Keys kAccessLogKeys = {"path"};
const Keys kLimitKeys = {
    "max_request_line", "max_header_bytes",       "max_header_count",           "max_body_bytes",
    "max_connections",  "max_connections_per_ip", "max_requests_per_connection"};
const Keys kTimeoutKeys = {"header_read",   "body_read",        "client_idle",
                           "send",          "upstream_connect", "upstream_first_byte",
                           "upstream_idle", "shutdown_grace"};
const Keys kModuleNames = {"normalize",    "ip_access", "ddos_l7",     "firewall",
                           "rate_limit",   "bot",       "waf",         "transform",
                           "cache_lookup", "origin",    "cache_store", "response_transform",
                           "compression",  "log"};
const Keys kModuleKeys = {"enabled", "fail_mode"};
const Keys kSiteKeys = {"name",      "hosts",           "default",
                        "origin",    "request_headers", "response_headers",
                        "redirects", "websocket"};
const Keys kOriginKeys = {"endpoints"};
const Keys kHeaderRuleKeys = {"set", "add", "remove"};
const Keys kHeaderFieldKeys = {"name", "value"};
const Keys kRedirectKeys = {"from", "to", "status", "match", "keep_query"};
const Keys kLogLevels = {"trace", "debug", "info", "warn", "error"};

// Headers that carry the message framing or belong to one connection. rampart manages
// them itself; letting a rule rewrite them would allow request smuggling or break
// keep-alive between rampart and its peers.
const Keys kManagedHeaders = {"content-length",
                              "transfer-encoding",
                              "connection",
                              "keep-alive",
                              "proxy-connection",
                              "te",
                              "trailer",
                              "upgrade",
                              "proxy-authenticate",
                              "proxy-authorization"};

constexpr Millis kMaxTimeout = std::chrono::hours(24);

bool contains(const Keys& keys, std::string_view key) {
  for (std::string_view k : keys) {
    if (k == key) return true;
  }
  return false;
}

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

// Names and labels show up in logs, metrics and the admin API, so they are kept to a
// small character set that needs no escaping anywhere.
bool is_label(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!is_label_char(c)) return false;
  }
  return true;
}

// Visible ASCII, space and tab: what an HTTP field value may hold besides obs-text.
bool is_field_value(std::string_view text) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
  }
  return true;
}

bool has_space_or_control(std::string_view text) {
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && to_lower(text.substr(0, prefix.size())) == prefix;
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

// One node in its context: where it is and how to name it in a message.
struct At {
  YAML::Node node;
  Pos pos;
  std::string path;
};

// A first parse over events, before yaml-cpp builds its node tree (~0.5 KiB a node).
// It counts values the way the walker will meet them: an alias counts as a full copy
// of what it names, so "billion laughs" style fan-out is refused here, cheaply, and
// the walk afterwards is bounded by kMaxYamlNodes. It also refuses an alias inside the
// node it names, which yaml-cpp would build into a cycle.
class NodeCounter : public YAML::EventHandler {
 public:
  struct Refused {
    YAML::Mark mark;
    std::string message;
  };
  size_t documents = 0;
  YAML::Mark second_document;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_document = mark;
    anchor_sizes_.clear();  // anchors are per document
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (anchor >= anchor_sizes_.size() || anchor_sizes_[anchor] == 0) {
      throw Refused{mark, "an alias refers to the node that contains it (a cycle)"};
    }
    add(mark, anchor_sizes_[anchor]);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    size_t total_before;
  };

  void add(const YAML::Mark& mark, size_t n) {
    total_ += n;
    if (total_ > detail::kMaxYamlNodes) {
      throw Refused{mark, "the config has more than " + std::to_string(detail::kMaxYamlNodes) +
                              " YAML values (each use of an alias counts as a copy)"};
    }
  }
  void record(YAML::anchor_t anchor, size_t size) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= anchor_sizes_.size()) anchor_sizes_.resize(anchor + 1, 0);
    anchor_sizes_[anchor] = size;
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1);
    record(anchor, 1);
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    open_.push_back(Open{anchor, total_});
    add(mark, 1);
  }
  void close() {
    if (open_.empty()) return;
    Open o = open_.back();
    open_.pop_back();
    record(o.anchor, total_ - o.total_before);
  }

  size_t total_ = 0;
  std::vector<Open> open_;
  std::vector<size_t> anchor_sizes_;  // by anchor id; 0 while the anchored node is open
};

// A read-only istream over the caller's bytes, so a 16 MiB config is not copied.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view text) {
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

class Walker {
 public:
  Walker(Diagnostics& diags, Config& config, SourceMap& where)
      : diags_(diags), cfg_(config), where_(where) {}

  void root(const YAML::Node& node) {
    Pos pos = to_pos(node.Mark());
    if (pos.line == 0) pos = Pos{1, 1};
    where_.root = pos;
    if (node.IsNull()) {
      diags_.error(pos, "the config is empty");
      return;
    }
    bool has_listeners = false;
    bool has_sites = false;
    fields(At{node, pos, ""}, kRootKeys, "", [&](std::string_view key, const At& v) {
      if (key == "version") {
        version(v);
      } else if (key == "workers") {
        workers(v);
      } else if (key == "listeners") {
        has_listeners = true;
        listeners(v);
      } else if (key == "admin") {
        admin(v);
      } else if (key == "access_log") {
        fields(v, kAccessLogKeys, "", [&](std::string_view, const At& p) { access_log_path(p); });
      } else if (key == "log_level") {
        if (auto s = one_of(v, kLogLevels)) cfg_.log_level = *s;
      } else if (key == "trusted_proxies") {
        trusted_proxies(v);
      } else if (key == "limits") {
        limits(v);
      } else if (key == "timeouts") {
        timeouts(v);
      } else if (key == "allow_connect") {
        if (auto b = boolean(v)) cfg_.allow_connect = *b;
      } else if (key == "modules") {
        modules(v);
      } else if (key == "sites") {
        has_sites = true;
        sites(v);
      }
    });
    if (node.IsMap()) {
      if (!has_listeners) missing(pos, "", "listeners", "at least one listener is needed");
      if (!has_sites) missing(pos, "", "sites", "at least one site is needed");
    }
  }

 private:
  // Every loop over keys or items goes through here, so a walk stops soon after the
  // error cap. Its length is bounded by the pre-pass (NodeCounter), aliases included.
  bool visit() const { return !diags_.stopped(); }

  void error(const At& at, const std::string& message) {
    diags_.error(at.pos, at.path.empty() ? message : at.path + ": " + message);
  }

  void missing(Pos pos, const std::string& path, std::string_view key, std::string_view why) {
    std::string msg = (path.empty() ? std::string() : path + ": ") + "missing required key \"" +
                      std::string(key) + "\"";
    if (!why.empty()) msg += " (" + std::string(why) + ")";
    diags_.error(pos, msg);
  }

  static std::string describe(const YAML::Node& node) {
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

  void wrong_type(const At& at, std::string_view expected) {
    error(at, "expected " + std::string(expected) + ", got " + describe(at.node));
  }

  // Iterates a map, reporting keys that are not scalars, unknown or repeated, and calls
  // on_field(key, value) for the others. A null node is an empty map: a section whose
  // keys are all commented out is still a valid section.
  template <typename F>
  bool fields(const At& at, const Keys& known, std::string_view what, F&& on_field) {
    if (at.node.IsNull()) return true;
    if (!at.node.IsMap()) {
      wrong_type(at, "a map");
      return false;
    }
    std::vector<std::pair<std::string_view, Pos>> seen;
    for (auto it = at.node.begin(); it != at.node.end(); ++it) {
      const YAML::Node key_node = it->first;
      Pos key_pos = to_pos(key_node.Mark());
      if (key_pos.line == 0) key_pos = at.pos;
      if (!visit()) return false;
      At key_at{key_node, key_pos, at.path};
      if (!key_node.IsScalar()) {
        error(key_at, "keys must be plain strings, got " + describe(key_node));
        continue;
      }
      const std::string& key = key_node.Scalar();
      // Top-level "x-" keys are free space for YAML anchors that sites then share.
      if (at.path.empty() && key.size() > 2 && key.compare(0, 2, "x-") == 0) continue;
      auto found = std::find(known.begin(), known.end(), key);
      if (found == known.end()) {
        unknown_key(key_at, key, known, what);
        continue;
      }
      bool repeated = false;
      for (const auto& [k, p] : seen) {
        if (k == key) {
          error(key_at,
                "key \"" + key + "\" is repeated; the first is at line " + std::to_string(p.line));
          repeated = true;
        }
      }
      if (repeated) continue;
      seen.emplace_back(*found, key_pos);
      const YAML::Node value = it->second;
      // yaml-cpp marks an empty value at the next token, often on another line; the
      // key is where a reader looks.
      Pos value_pos = value.IsNull() ? key_pos : to_pos(value.Mark());
      if (value_pos.line == 0) value_pos = key_pos;
      on_field(*found, At{value, value_pos, key_path(at.path, key)});
      if (diags_.stopped()) return false;
    }
    return true;
  }

  void unknown_key(const At& at, std::string_view key, const Keys& known, std::string_view what) {
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

  // Iterates a list, refusing one longer than `cap` before touching its items. A null
  // node is an empty list.
  template <typename F>
  bool items(const At& at, size_t cap, std::string_view what, F&& on_item) {
    if (at.node.IsNull()) return true;
    if (!at.node.IsSequence()) {
      wrong_type(at, "a list");
      return false;
    }
    if (at.node.size() > cap) {
      error(at, "too many " + std::string(what) + ": " + std::to_string(at.node.size()) +
                    " (the limit is " + std::to_string(cap) + ")");
      return false;
    }
    size_t i = 0;
    for (auto it = at.node.begin(); it != at.node.end(); ++it, ++i) {
      const YAML::Node item = *it;
      Pos pos = to_pos(item.Mark());
      if (pos.line == 0) pos = at.pos;
      if (!visit()) return false;
      on_item(At{item, pos, item_path(at.path, i)}, i);
      if (diags_.stopped()) return false;
    }
    return true;
  }

  size_t list_size(const At& at) const { return at.node.IsSequence() ? at.node.size() : 0; }

  std::optional<std::string> string(const At& at) {
    if (!at.node.IsScalar()) {
      wrong_type(at, "a string");
      return std::nullopt;
    }
    return at.node.Scalar();
  }

  std::optional<bool> boolean(const At& at) {
    if (!at.node.IsScalar()) {
      wrong_type(at, "true or false");
      return std::nullopt;
    }
    auto b = parse_bool(at.node.Scalar());
    if (!b) error(at, b.error);
    return b.value;
  }

  std::optional<std::string> one_of(const At& at, const Keys& allowed) {
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

  std::optional<uint64_t> integer(const At& at, uint64_t min, uint64_t max) {
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

  std::optional<uint64_t> size(const At& at, uint64_t min, uint64_t max) {
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

  std::optional<Millis> duration(const At& at) {
    if (!at.node.IsScalar()) {
      wrong_type(at, "a duration such as 10s");
      return std::nullopt;
    }
    auto d = parse_duration(at.node.Scalar());
    if (!d) {
      error(at, d.error);
      return std::nullopt;
    }
    if (d.value->count() <= 0 || *d.value > kMaxTimeout) {
      error(at, quote(at.node.Scalar()) + " is out of range (more than 0, at most 24h)");
      return std::nullopt;
    }
    return d.value;
  }

  // ---- top-level scalars ----

  void version(const At& at) {
    auto s = string(at);
    if (!s) return;
    if (!is_label(*s)) {
      error(at, quote(*s) + " is not a valid version: use 1-64 characters of A-Z a-z 0-9 . _ -");
      return;
    }
    cfg_.version = *s;
  }

  void workers(const At& at) {
    if (at.node.IsScalar() && at.node.Scalar() == "auto") {
      cfg_.workers = 0;
      return;
    }
    if (!at.node.IsScalar()) {
      wrong_type(at, "\"auto\" or a number of threads");
      return;
    }
    auto n = parse_uint(at.node.Scalar());
    if (!n || *n.value < 1 || *n.value > 256) {
      error(at, "expected \"auto\" or a number from 1 to 256, got " + quote(at.node.Scalar()));
      return;
    }
    cfg_.workers = static_cast<uint32_t>(*n.value);
  }

  // ---- listeners and admin ----

  void listeners(const At& at) {
    if (at.node.IsNull() || (at.node.IsSequence() && at.node.size() == 0)) {
      error(at, "at least one listener is needed");
      return;
    }
    items(at, detail::kMaxListeners, "listeners", [&](const At& item, size_t i) {
      Listener listener;
      detail::ListenerSource src{item.pos, item.pos};
      bool has_address = false;
      bool ok = true;
      bool is_map = fields(item, kListenerKeys, "", [&](std::string_view key, const At& v) {
        if (key == "name") {
          auto s = string(v);
          if (s && !is_label(*s)) {
            error(v, quote(*s) + " is not a valid name: use 1-64 characters of A-Z a-z 0-9 . _ -");
            s.reset();
          }
          if (s) {
            listener.name = *s;
            src.name = v.pos;
          } else {
            ok = false;
          }
        } else if (key == "address") {
          has_address = true;
          auto s = string(v);
          if (!s) {
            ok = false;
            return;
          }
          auto addr = parse_listen_address(*s);
          if (!addr) {
            error(v, addr.error);
            ok = false;
            return;
          }
          listener.address = *addr.value;
          src.address = v.pos;
        }
      });
      if (!is_map) return;
      if (item.node.IsNull()) {
        error(item, "expected a listener map with an address");
        return;
      }
      if (!has_address) {
        missing(item.pos, item.path, "address", "");
        return;
      }
      if (!ok) return;
      if (listener.name.empty()) listener.name = "listener-" + std::to_string(i);
      cfg_.listeners.push_back(std::move(listener));
      where_.listeners.push_back(src);
    });
  }

  void admin(const At& at) {
    fields(at, kAdminKeys, "", [&](std::string_view key, const At& v) {
      if (key == "enabled") {
        if (auto b = boolean(v)) cfg_.admin.enabled = *b;
      } else if (key == "address") {
        where_.admin_address_invalid = true;
        auto s = string(v);
        if (!s) return;
        auto addr = parse_listen_address(*s);
        if (!addr) {
          error(v, addr.error);
          return;
        }
        where_.admin_address_invalid = false;
        cfg_.admin.address = *addr.value;
        where_.admin_address = v.pos;
      } else if (key == "token") {
        auto s = string(v);
        if (!s) return;
        if (s->empty()) return;  // explicit "": mutations stay refused
        bool printable = true;
        for (char c : *s) printable = printable && c > 0x20 && c < 0x7f;
        if (!printable) {
          error(v, "the token may hold only visible ASCII characters (no spaces)");
        } else if (s->size() < 16) {
          error(v, "the token is " + std::to_string(s->size()) +
                       " characters; use at least 16, since a short token can be guessed");
        } else if (s->size() > 1024) {
          error(v, "the token is longer than 1024 characters");
        } else {
          cfg_.admin.token = *s;
        }
      }
    });
  }

  void access_log_path(const At& at) {
    auto s = string(at);
    if (!s) return;
    if (s->empty()) {
      error(at, "expected stdout, off or a file path, got an empty string");
    } else if (s->size() > 4096) {
      error(at, "the path is longer than 4096 characters");
    } else if (std::any_of(s->begin(), s->end(), [](char c) {
                 return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
               })) {
      error(at, "the path contains control characters");
    } else if (s->back() == '/') {
      error(at, quote(*s) + " names a directory; give a file path");
    } else {
      cfg_.access_log.path = *s;
    }
  }

  void trusted_proxies(const At& at) {
    items(at, detail::kMaxTrustedProxies, "trusted_proxies entries", [&](const At& item, size_t) {
      auto s = string(item);
      if (!s) return;
      auto cidr = core::Cidr::parse(*s);
      if (!cidr) {
        error(item, quote(*s) + " is not an IP address or CIDR prefix (e.g. 10.0.0.0/8)");
        return;
      }
      cfg_.trusted_proxies.add(*cidr);
    });
  }

  // ---- limits and timeouts ----

  void limits(const At& at) {
    Limits& l = cfg_.limits;
    constexpr uint64_t kU32 = UINT32_MAX;
    fields(at, kLimitKeys, "", [&](std::string_view key, const At& v) {
      if (key == "max_request_line") {
        if (auto n = size(v, 256, 64 << 10)) {
          l.max_request_line = static_cast<uint32_t>(*n);
          where_.max_request_line = v.pos;
        }
      } else if (key == "max_header_bytes") {
        if (auto n = size(v, 1 << 10, 1 << 20)) {
          l.max_header_bytes = static_cast<uint32_t>(*n);
          where_.max_header_bytes = v.pos;
        }
      } else if (key == "max_header_count") {
        if (auto n = integer(v, 1, 10'000)) l.max_header_count = static_cast<uint32_t>(*n);
      } else if (key == "max_body_bytes") {
        if (auto n = size(v, 0, UINT64_MAX)) l.max_body_bytes = *n;
      } else if (key == "max_connections") {
        if (auto n = integer(v, 1, 10'000'000)) {
          l.max_connections = static_cast<uint32_t>(*n);
          where_.max_connections = v.pos;
        }
      } else if (key == "max_connections_per_ip") {
        if (auto n = integer(v, 1, 10'000'000)) {
          l.max_connections_per_ip = static_cast<uint32_t>(*n);
          where_.max_connections_per_ip = v.pos;
        }
      } else if (key == "max_requests_per_connection") {
        if (auto n = integer(v, 0, kU32)) l.max_requests_per_connection = static_cast<uint32_t>(*n);
      }
    });
  }

  void timeouts(const At& at) {
    Timeouts& t = cfg_.timeouts;
    fields(at, kTimeoutKeys, "", [&](std::string_view key, const At& v) {
      auto d = duration(v);
      if (!d) return;
      if (key == "header_read") t.header_read = *d;
      if (key == "body_read") t.body_read = *d;
      if (key == "client_idle") t.client_idle = *d;
      if (key == "send") t.send = *d;
      if (key == "upstream_connect") t.upstream_connect = *d;
      if (key == "upstream_first_byte") t.upstream_first_byte = *d;
      if (key == "upstream_idle") t.upstream_idle = *d;
      if (key == "shutdown_grace") t.shutdown_grace = *d;
    });
  }

  // ---- modules ----

  void modules(const At& at) {
    fields(at, kModuleNames, "the keys here are module names",
           [&](std::string_view name, const At& v) {
             ModuleSettings settings;
             bool ok = fields(v, kModuleKeys, "", [&](std::string_view key, const At& f) {
               if (key == "enabled") {
                 if (auto b = boolean(f)) settings.enabled = *b;
               } else if (key == "fail_mode") {
                 if (auto s = one_of(f, {"open", "closed"})) {
                   settings.fail_mode = *s == "open" ? FailMode::kOpen : FailMode::kClosed;
                 }
               }
             });
             if (ok) cfg_.modules[std::string(name)] = settings;
           });
  }

  // ---- sites ----

  void sites(const At& at) {
    if (at.node.IsNull() || (at.node.IsSequence() && at.node.size() == 0)) {
      error(at, "at least one site is needed");
      return;
    }
    items(at, detail::kMaxSites, "sites", [&](const At& item, size_t) { site(item); });
  }

  void site(const At& at) {
    if (!at.node.IsMap()) {
      wrong_type(at, "a site map");
      return;
    }
    Site s;
    SiteSource src;
    src.item = at.pos;
    src.name = at.pos;
    src.is_default = at.pos;
    bool has_name = false;
    bool has_origin = false;
    std::optional<At> hosts_at;
    fields(at, kSiteKeys, "", [&](std::string_view key, const At& v) {
      if (key == "name") {
        has_name = true;
        auto name = string(v);
        if (name && !is_label(*name)) {
          error(v, quote(*name) + " is not a valid site name: use 1-64 characters of " +
                       "A-Z a-z 0-9 . _ -");
        } else if (name) {
          s.name = *name;
          src.name = v.pos;
        }
      } else if (key == "hosts") {
        hosts_at = v;
      } else if (key == "default") {
        if (auto b = boolean(v)) {
          s.is_default = *b;
          src.is_default = v.pos;
        }
      } else if (key == "origin") {
        has_origin = true;
        origin(v, s.origin);
      } else if (key == "request_headers") {
        header_rules(v, s.request_headers);
      } else if (key == "response_headers") {
        header_rules(v, s.response_headers);
      } else if (key == "redirects") {
        redirects(v, s.redirects);
      } else if (key == "websocket") {
        if (auto b = boolean(v)) s.websocket = *b;
      }
    });
    if (diags_.stopped()) return;
    // Hosts are read after `default`, which decides whether an empty list is allowed.
    if (hosts_at) {
      hosts(*hosts_at, s, src);
    } else if (!s.is_default) {
      missing(at.pos, at.path, "hosts", "only the default site may have none");
    }
    if (!has_name) missing(at.pos, at.path, "name", "");
    if (!has_origin) missing(at.pos, at.path, "origin", "");
    cfg_.sites.push_back(std::move(s));
    where_.sites.push_back(std::move(src));
  }

  void hosts(const At& at, Site& s, SiteSource& src) {
    if (list_size(at) == 0 && (at.node.IsNull() || at.node.IsSequence()) && !s.is_default) {
      error(at, "a site needs at least one host (only the default site may have none)");
      return;
    }
    items(at, detail::kMaxHostsPerSite, "hosts", [&](const At& item, size_t) {
      auto text = string(item);
      if (!text) return;
      auto host = parse_site_host(*text);
      if (!host) {
        error(item, host.error);
        return;
      }
      s.hosts.push_back(std::move(*host.value));
      src.hosts.push_back(item.pos);
      src.host_paths.push_back(item.path);
    });
  }

  void origin(const At& at, Origin& o) {
    if (at.node.IsNull()) {
      error(at, "expected a map with endpoints");
      return;
    }
    bool has_endpoints = false;
    bool is_map = fields(at, kOriginKeys, "", [&](std::string_view, const At& v) {
      has_endpoints = true;
      if (list_size(v) == 0 && (v.node.IsNull() || v.node.IsSequence())) {
        error(v, "at least one endpoint is needed");
        return;
      }
      items(v, detail::kMaxEndpointsPerSite, "endpoints", [&](const At& item, size_t) {
        auto text = string(item);
        if (!text) return;
        auto ep = parse_endpoint(*text);
        if (!ep) {
          error(item, ep.error);
          return;
        }
        o.endpoints.push_back(std::move(*ep.value));
      });
    });
    if (is_map && !has_endpoints) missing(at.pos, at.path, "endpoints", "");
  }

  std::optional<std::string> header_name(const At& at) {
    auto name = string(at);
    if (!name) return std::nullopt;
    if (!is_http_token(*name)) {
      error(at, quote(*name) + " is not a valid header name (1-256 token characters)");
      return std::nullopt;
    }
    std::string lower = to_lower(*name);
    if (contains(kManagedHeaders, lower)) {
      error(at, "header \"" + *name +
                    "\" is managed by rampart (message framing or hop-by-hop) and cannot be "
                    "changed by a rule");
      return std::nullopt;
    }
    return name;
  }

  void header_rules(const At& at, std::vector<HeaderRule>& out) {
    items(at, detail::kMaxHeaderRulesPerList, "header rules", [&](const At& item, size_t) {
      if (!item.node.IsMap()) {
        wrong_type(item, "a map with one of set, add or remove");
        return;
      }
      HeaderRule rule;
      int ops = 0;
      bool ok = true;
      fields(item, kHeaderRuleKeys, "", [&](std::string_view key, const At& v) {
        if (++ops > 1) {
          error(v, "a header rule has exactly one of set, add or remove; write one item each");
          ok = false;
          return;
        }
        if (key == "remove") {
          rule.op = HeaderOp::kRemove;
          if (auto n = header_name(v)) {
            rule.name = *n;
          } else {
            ok = false;
          }
          return;
        }
        rule.op = key == "set" ? HeaderOp::kSet : HeaderOp::kAdd;
        if (!v.node.IsMap()) {
          wrong_type(v, "a map {name: ..., value: ...}");
          ok = false;
          return;
        }
        bool has_name = false;
        bool has_value = false;
        fields(v, kHeaderFieldKeys, "", [&](std::string_view k, const At& f) {
          if (k == "name") {
            has_name = true;
            if (auto n = header_name(f)) {
              rule.name = *n;
            } else {
              ok = false;
            }
          } else {
            has_value = true;
            auto value = string(f);
            if (!value) {
              ok = false;
            } else if (value->size() > detail::kMaxHeaderValueBytes) {
              error(f,
                    "the value is " + std::to_string(value->size()) + " bytes; the limit is 8 KiB");
              ok = false;
            } else if (!is_field_value(*value)) {
              error(f,
                    "the value contains control characters (CR, LF, NUL or others), which "
                    "could split the header");
              ok = false;
            } else {
              rule.value = *value;
            }
          }
        });
        if (!has_name) {
          missing(v.pos, v.path, "name", "");
          ok = false;
        }
        if (!has_value) {
          missing(v.pos, v.path, "value", "");
          ok = false;
        }
      });
      if (ops == 0) {
        error(item, "a header rule needs one of set, add or remove");
        return;
      }
      if (ok) out.push_back(std::move(rule));
    });
  }

  void redirects(const At& at, std::vector<Redirect>& out) {
    std::unordered_map<std::string, Pos> seen;
    items(at, detail::kMaxRedirectsPerSite, "redirects", [&](const At& item, size_t) {
      if (!item.node.IsMap()) {
        wrong_type(item, "a redirect map {from, to}");
        return;
      }
      Redirect r;
      bool ok = true;
      bool has_from = false;
      bool has_to = false;
      Pos from_pos = item.pos;
      fields(item, kRedirectKeys, "", [&](std::string_view key, const At& v) {
        if (key == "from") {
          has_from = true;
          auto s = string(v);
          if (!s || !redirect_from(v, *s)) ok = false;
          if (s) r.from = *s;
          from_pos = v.pos;
        } else if (key == "to") {
          has_to = true;
          auto s = string(v);
          if (!s || !redirect_to(v, *s)) ok = false;
          if (s) r.to = *s;
        } else if (key == "status") {
          auto n = integer(v, 0, 999);
          if (n && *n != 301 && *n != 302 && *n != 303 && *n != 307 && *n != 308) {
            error(v,
                  std::to_string(*n) + " is not a redirect status; use 301, 302, 303, 307 or 308");
            n.reset();
          }
          if (n) {
            r.status = static_cast<int>(*n);
          } else {
            ok = false;
          }
        } else if (key == "match") {
          if (auto s = one_of(v, {"exact", "prefix"})) {
            r.prefix = *s == "prefix";
          } else {
            ok = false;
          }
        } else if (key == "keep_query") {
          if (auto b = boolean(v)) {
            r.keep_query = *b;
          } else {
            ok = false;
          }
        }
      });
      if (!has_from) {
        missing(item.pos, item.path, "from", "");
        ok = false;
      }
      if (!has_to) {
        missing(item.pos, item.path, "to", "");
        ok = false;
      }
      if (!ok) return;
      std::string key = (r.prefix ? "prefix " : "exact ") + r.from;
      auto [it, inserted] = seen.emplace(key, from_pos);
      if (!inserted) {
        diags_.error(from_pos, item.path + ".from: " + quote(r.from) +
                                   " already has a redirect with the same match, at line " +
                                   std::to_string(it->second.line));
        return;
      }
      out.push_back(std::move(r));
    });
  }

  bool redirect_from(const At& at, const std::string& from) {
    if (from.empty() || from[0] != '/') {
      error(at, quote(from) + " must be a path starting with \"/\"");
    } else if (from.size() > 2048) {
      error(at, "the path is longer than 2048 characters");
    } else if (has_space_or_control(from)) {
      error(at, quote(from) + " contains spaces or control characters");
    } else if (from.find_first_of("?#") != std::string::npos) {
      error(at, quote(from) + ": redirects match the path only, without \"?\" or \"#\"");
    } else {
      return true;
    }
    return false;
  }

  bool redirect_to(const At& at, const std::string& to) {
    if (to.empty()) {
      error(at, "the target must not be empty");
    } else if (to.size() > 2048) {
      error(at, "the target is longer than 2048 characters");
    } else if (has_space_or_control(to)) {
      error(at, quote(to) + " contains spaces or control characters");
    } else if (to.size() >= 2 && (to.substr(0, 2) == "//" || to.substr(0, 2) == "/\\")) {
      // Browsers read "//host/..." as another host; make that explicit.
      error(at, quote(to) + " would send clients to another host; write the scheme, " +
                    "e.g. https://host/path");
    } else if (to[0] == '/') {
      return true;
    } else if (starts_with_ci(to, "http://") || starts_with_ci(to, "https://")) {
      std::string_view rest = std::string_view(to).substr(to.find("://") + 3);
      std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
      if (authority.empty()) {
        error(at, quote(to) + " has no host after the scheme");
      } else {
        return true;
      }
    } else {
      error(at, quote(to) + " must be a path starting with \"/\" or an http:// or https:// URL");
    }
    return false;
  }

  Diagnostics& diags_;
  Config& cfg_;
  SourceMap& where_;
};

Pos exception_pos(const YAML::Exception& e) {
  Pos pos = to_pos(e.mark);
  return pos;
}

std::string content_version(std::string_view text) {
  XXH64_hash_t h = XXH64(text.data(), text.size(), 0);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return "h" + std::string(buf, 12);
}

LoadResult load_impl(std::string_view text, std::string_view source_name) {
  Diagnostics diags{std::string(source_name)};
  LoadResult result;
  if (text.size() > detail::kMaxFileBytes) {
    diags.error(Pos{},
                "the config is larger than the limit of " + format_size(detail::kMaxFileBytes));
    result.errors = diags.finish();
    return result;
  }

  {
    ViewBuf buf(text);
    std::istream in(&buf);
    NodeCounter counter;
    try {
      YAML::Parser parser(in);
      while (counter.documents < 2 && parser.HandleNextDocument(counter)) {
      }
    } catch (const NodeCounter::Refused& e) {
      diags.error(to_pos(e.mark), e.message);
    } catch (const YAML::Exception& e) {
      diags.error(exception_pos(e), "YAML syntax: " + e.msg);
    }
    if (diags.empty() && counter.documents > 1) {
      diags.error(to_pos(counter.second_document),
                  "the file holds more than one YAML document (\"---\"); a config is one");
    }
    if (!diags.empty()) {
      result.errors = diags.finish();
      return result;
    }
  }

  YAML::Node root;
  try {
    ViewBuf buf(text);
    std::istream in(&buf);
    root = YAML::Load(in);
  } catch (const YAML::Exception& e) {
    diags.error(exception_pos(e), "YAML syntax: " + e.msg);
    result.errors = diags.finish();
    return result;
  }

  auto config = std::make_shared<Config>();
  SourceMap where;
  try {
    Walker walker(diags, *config, where);
    walker.root(root);
  } catch (const YAML::Exception& e) {
    // The walker checks node types before reading them, so this is a bug in it; still
    // an error for this one config rather than a crash.
    diags.error(exception_pos(e), "internal error while reading the config: " + e.msg);
  }
  // A per-IP cap left at its default follows a smaller total cap instead of being an
  // error about a value the operator never wrote.
  if (!where.max_connections_per_ip &&
      config->limits.max_connections_per_ip > config->limits.max_connections) {
    config->limits.max_connections_per_ip = config->limits.max_connections;
  }
  if (!diags.stopped()) detail::check_config(*config, where, diags);
  if (!diags.empty()) {
    result.errors = diags.finish();
    return result;
  }
  config->source = std::string(source_name);
  if (config->version.empty()) config->version = content_version(text);
  result.config = std::move(config);
  return result;
}

}  // namespace

LoadResult load_string(std::string_view yaml_text, std::string_view source_name) {
  try {
    return load_impl(yaml_text, source_name);
  } catch (const std::exception& e) {
    LoadResult result;
    result.errors.push_back(Diagnostic{std::string(source_name), 0, 0,
                                       std::string("cannot load the config: ") + e.what()});
    return result;
  }
}

}  // namespace rampart::config
