// YAML text -> Config: the entry point, an event-only pre-pass that caps the input, the root walk.

#include <xxhash.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config {
namespace detail {
namespace {

const Keys kRootKeys = {
    "version",         "workers", "listeners",  "admin",         "access_log", "log_level",
    "trusted_proxies", "limits",  "timeouts",   "allow_connect", "modules",    "lists",
    "firewall",        "pools",   "sites",      "cache",         "waf",        "overload",
    "rate_limit",      "bot",     "deployment", "cluster",       "safety"};
const Keys kAccessLogKeys = {"path"};
const Keys kLogLevels = {"trace", "debug", "info", "warn", "error"};

}  // namespace

void Walker::root(const YAML::Node& node) {
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
    } else if (key == "cache") {
      cache_settings(v);
    } else if (key == "waf") {
      waf(v);
    } else if (key == "bot") {
      bot(v);
    } else if (key == "safety") {
      safety(v);
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
    } else if (key == "overload") {
      overload(v);
    } else if (key == "deployment") {
      deployment(v);
    } else if (key == "allow_connect") {
      if (auto b = boolean(v)) cfg_.allow_connect = *b;
    } else if (key == "modules") {
      modules(v);
    } else if (key == "lists") {
      lists(v);
    } else if (key == "firewall") {
      ruleset(v, cfg_.firewall, where_.firewall_rules);
    } else if (key == "rate_limit") {
      rate_limit_rules(v, cfg_.rate_limit, where_.rate_limit_rules);
    } else if (key == "cluster") {
      cluster(v);
    } else if (key == "pools") {
      pools(v);
    } else if (key == "sites") {
      has_sites = true;
      sites(v);
    }
  });
  resolve_ip_matches();
  check_overload_limits();
  if (node.IsMap()) {
    if (!has_listeners) missing(pos, "", "listeners", "at least one listener is needed");
    if (!has_sites) missing(pos, "", "sites", "at least one site is needed");
  }
}

}  // namespace detail

namespace {

using detail::Diagnostics;
using detail::Pos;
using detail::SourceMap;
using detail::to_pos;
using detail::Walker;

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
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    child(nullptr);
    leaf(mark, anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    child(&value);
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    child(nullptr);
    if (anchor >= anchor_sizes_.size() || anchor_sizes_[anchor] == 0) {
      throw Refused{mark, "an alias refers to the node that contains it (a cycle)"};
    }
    add(mark, anchor_sizes_[anchor]);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    bool rules = child(nullptr);
    open(mark, anchor);
    // Twice the limit: a list a little over it gets the walker's exact count instead.
    frames_.push_back(Frame{false, true, {}, rules ? 2 * detail::kMaxRulesPerRuleset : 0, 0, mark});
  }
  void OnSequenceEnd() override {
    close();
    if (!frames_.empty()) frames_.pop_back();
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    child(nullptr);
    open(mark, anchor);
    frames_.push_back(Frame{true, true, {}, 0, 0, mark});
  }
  void OnMapEnd() override {
    close();
    if (!frames_.empty()) frames_.pop_back();
  }

 private:
  // Where the walk is: a rule list far over its limit is refused here, before yaml-cpp
  // spends memory and seconds building a node for each of its values.
  struct Frame {
    bool map;
    bool expect_key;
    std::string key;  // the map's last key
    size_t limit;     // sequences under a `rules` key: at most this many items
    size_t count;
    YAML::Mark start;
  };

  // A node starts inside the innermost collection; true when it is the value of a
  // `rules` key. `scalar` is its text when it is a scalar.
  bool child(const std::string* scalar) {
    if (frames_.empty()) return false;
    Frame& f = frames_.back();
    if (f.map) {
      bool is_key = f.expect_key;
      f.expect_key = !f.expect_key;
      if (is_key) {
        f.key = scalar != nullptr ? *scalar : std::string();
        return false;
      }
      return f.key == "rules";
    }
    if (f.limit != 0 && ++f.count > f.limit) {
      throw Refused{f.start, "too many rules: more than " + std::to_string(f.limit) +
                                 " (the limit is " + std::to_string(detail::kMaxRulesPerRuleset) +
                                 "); the rest of the file is not read"};
    }
    return false;
  }

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
  std::vector<Frame> frames_;
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

LoadResult load_impl(std::string_view text, std::string_view source_name,
                     const std::string& base_dir) {
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
    Walker walker(diags, *config, where, text, base_dir);
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

namespace detail {

LoadResult load_text(std::string_view text, std::string_view source_name,
                     const std::string& base_dir) {
  try {
    return load_impl(text, source_name, base_dir);
  } catch (const std::exception& e) {
    LoadResult result;
    result.errors.push_back(Diagnostic{std::string(source_name), 0, 0,
                                       std::string("cannot load the config: ") + e.what()});
    return result;
  }
}

}  // namespace detail

// The source name may be "<embedded>" or a label, never a place: relative list paths
// resolve against the current directory.
LoadResult load_string(std::string_view yaml_text, std::string_view source_name) {
  return detail::load_text(yaml_text, source_name, "");
}

}  // namespace rampart::config
