#include "seclang/parser.h"

#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <utility>

#include "seclang/lexer.h"
#include "seclang/parser_syntax.h"

namespace rampart::seclang {
namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool has_chain_action(const std::vector<Action>& actions) {
  return std::any_of(actions.begin(), actions.end(),
                     [](const Action& a) { return lower(a.name) == "chain"; });
}

bool is_update_action_id(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos) return is_rule_id_or_range(s) && s.find('-') == s.npos;
  std::string_view id = s.substr(0, colon);
  std::string_view offset = s.substr(colon + 1);
  return is_rule_id_or_range(id) && id.find('-') == id.npos && is_rule_id_or_range(offset) &&
         offset.find('-') == offset.npos;
}

// The rule a `chain` action left open in the file being parsed.
struct OpenChain {
  size_t head = kNone;  // index in ParsedFiles::directives
  // The head had a syntax error: its links are still checked, then dropped, so that
  // they do not turn up as rules of their own (without ids, phases...).
  bool discard = false;
  SourceLocation where;
  bool open() const { return head != kNone || discard; }
};

class Loader {
 public:
  Loader(const ParseLimits& limits, ParsedFiles& out) : limits_(limits), out_(out) {}

  void load_file(const std::string& path, size_t depth, const SourceLocation& from);
  void parse(std::string_view text, const std::string& name, const std::string& base_dir,
             size_t depth);

 private:
  void error(const SourceLocation& where, std::string message) {
    out_.errors.push_back({where, std::move(message)});
  }
  void directive(const LexDirective& lexed, const std::string& name, const std::string& base_dir,
                 size_t depth, OpenChain& chain);
  void rule(const SourceLocation& where, const std::vector<LexWord>& words, bool is_action,
            OpenChain& chain);
  void include(const std::string& pattern, const SourceLocation& where, const std::string& base_dir,
               size_t depth);

  const ParseLimits& limits_;
  ParsedFiles& out_;
  std::vector<std::string> reading_;  // canonical paths of the files being read (cycles)
  size_t total_bytes_ = 0;
  size_t directive_count_ = 0;
  bool stopped_ = false;  // the directive limit was hit: nothing more is read
};

void Loader::load_file(const std::string& path, size_t depth, const SourceLocation& from) {
  if (stopped_) return;
  std::error_code ec;
  const std::filesystem::path canonical = std::filesystem::canonical(path, ec);
  if (ec) {
    error(from, "cannot open '" + path + "': " + ec.message());
    return;
  }
  if (std::find(reading_.begin(), reading_.end(), canonical.string()) != reading_.end()) {
    error(from, "Include cycle: '" + path + "' is already being read");
    return;
  }
  const int fd = ::open(canonical.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error(from, "cannot open '" + path + "': " + std::strerror(errno));
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error(from, "'" + path + "' is not a regular file");
    return;
  }
  std::string text;
  // Reads one byte past the limit so that a file that grew after fstat is still caught.
  const size_t cap = limits_.max_file_bytes + 1;
  char buffer[65536];
  while (text.size() < cap) {
    const ssize_t n = ::read(fd, buffer, std::min(sizeof(buffer), cap - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      error(from, "cannot read '" + path + "': " + std::strerror(saved));
      return;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (text.size() > limits_.max_file_bytes) {
    error(from,
          "'" + path + "' is larger than " + std::to_string(limits_.max_file_bytes) + " bytes");
    return;
  }
  if (total_bytes_ + text.size() > limits_.max_total_bytes) {
    error(from, "the rule files together are larger than " +
                    std::to_string(limits_.max_total_bytes) + " bytes (at '" + path + "')");
    return;
  }
  out_.files.push_back(path);
  reading_.push_back(canonical.string());
  parse(text, path, std::filesystem::path(path).parent_path().string(), depth);
  reading_.pop_back();
}

void Loader::parse(std::string_view text, const std::string& name, const std::string& base_dir,
                   size_t depth) {
  total_bytes_ += text.size();
  const LexResult lexed = lex(text);
  OpenChain chain;
  size_t next_error = 0;
  auto flush_errors = [&](int up_to_line) {
    while (next_error < lexed.errors.size() && lexed.errors[next_error].line <= up_to_line) {
      error({name, lexed.errors[next_error].line}, lexed.errors[next_error].message);
      ++next_error;
    }
  };
  for (const LexDirective& d : lexed.directives) {
    if (stopped_) return;
    flush_errors(d.line);
    if (++directive_count_ > limits_.max_directives) {
      error({name, d.line}, "more than " + std::to_string(limits_.max_directives) +
                                " directives; the rest is not read");
      stopped_ = true;
      return;
    }
    directive(d, name, base_dir, depth, chain);
  }
  flush_errors(std::numeric_limits<int>::max());
  if (chain.open()) {
    error(chain.where, "the file ends inside the chain of the rule here ('chain' action)");
  }
}

void Loader::rule(const SourceLocation& where, const std::vector<LexWord>& words, bool is_action,
                  OpenChain& chain) {
  RuleDecl decl;
  decl.where = where;
  decl.is_action = is_action;
  const std::string& directive_name = words[0].text;
  std::string problem;
  if (is_action) {
    if (words.size() != 2) {
      problem = directive_name + " takes one argument (the actions), got " +
                std::to_string(words.size() - 1);
    } else {
      decl.op.name = "unconditionalMatch";
      problem = parse_actions(words[1].text, decl.actions);
    }
  } else if (words.size() < 3 || words.size() > 4) {
    problem = directive_name + " takes VARIABLES OPERATOR [ACTIONS], got " +
              std::to_string(words.size() - 1) + " argument(s)";
  } else {
    if (words.size() == 4) problem = parse_actions(words[3].text, decl.actions);
    if (problem.empty()) problem = parse_variables(words[1].text, decl.variables);
    if (problem.empty()) problem = parse_operator(words[2].text, decl.op);
  }
  const bool chains = has_chain_action(decl.actions);
  if (!problem.empty()) {
    error(where, std::move(problem));
    // A broken rule opens or keeps a chain only if its own `chain` action was readable,
    // so that the next rule is not also reported.
    if (chain.open() && !chains) {
      chain = OpenChain{};
    } else if (!chain.open() && chains) {
      chain.discard = true;
      chain.where = where;
    }
    return;
  }
  if (chain.discard) {
    if (!chains) chain = OpenChain{};
    return;
  }
  if (chain.open()) {
    RuleDecl& head = out_.directives[chain.head].rule;
    if (head.chained.size() + 2 > limits_.max_chain_length) {
      error(where, "chain longer than " + std::to_string(limits_.max_chain_length) +
                       " rules (started at " + describe(chain.where) + ")");
      chain = OpenChain{};
      return;
    }
    head.chained.push_back(std::move(decl));
    if (!chains) chain = OpenChain{};
    return;
  }
  Directive d;
  d.kind = DirectiveKind::kRule;
  d.where = where;
  d.name = directive_name;
  d.rule = std::move(decl);
  out_.directives.push_back(std::move(d));
  if (chains) {
    chain.head = out_.directives.size() - 1;
    chain.where = where;
  }
}

void Loader::directive(const LexDirective& lexed, const std::string& name,
                       const std::string& base_dir, size_t depth, OpenChain& chain) {
  const SourceLocation where{name, lexed.line};
  const std::vector<LexWord>& words = lexed.words;
  if (words[0].quoted) {
    error(where, "a directive name cannot be quoted");
    return;
  }
  const std::string& written = words[0].text;
  const std::string key = lower(written);
  if (chain.open() && key != "secrule") {
    error(where, "expected the SecRule chained to the rule at " + describe(chain.where) +
                     ", found " + written);
    chain = OpenChain{};
  }
  if (key == "secrule" || key == "secaction") {
    rule(where, words, key == "secaction", chain);
    return;
  }
  if (key == "include") {
    if (words.size() != 2) {
      error(where, "Include takes one argument (a file or a glob)");
      return;
    }
    include(words[1].text, where, base_dir, depth);
    return;
  }
  if (key.rfind("sec", 0) != 0) {
    error(where, "unknown directive '" + written + "' (expected a Sec* directive or Include)");
    return;
  }
  Directive d;
  d.where = where;
  d.name = written;
  const size_t nargs = words.size() - 1;
  auto arg_count = [&](size_t min, size_t max, const char* what) {
    if (nargs >= min && nargs <= max) return true;
    error(where, written + " takes " + what + ", got " + std::to_string(nargs) + " argument(s)");
    return false;
  };
  std::string problem;
  if (key == "secmarker" || key == "seccomponentsignature" || key == "secruleremovebytag" ||
      key == "secruleremovebymsg") {
    if (!arg_count(1, 1, "one argument")) return;
    d.kind = key == "secmarker"               ? DirectiveKind::kMarker
             : key == "seccomponentsignature" ? DirectiveKind::kComponentSignature
             : key == "secruleremovebytag"    ? DirectiveKind::kRemoveByTag
                                              : DirectiveKind::kRemoveByMsg;
    d.args.push_back(words[1].text);
  } else if (key == "secdefaultaction") {
    if (!arg_count(1, 1, "one argument (the actions)")) return;
    d.kind = DirectiveKind::kDefaultAction;
    problem = parse_actions(words[1].text, d.actions);
  } else if (key == "secruleremovebyid") {
    if (!arg_count(1, kNone, "rule ids or ranges")) return;
    d.kind = DirectiveKind::kRemoveById;
    // A quoted argument may hold several ids ("1 2 10-20"), as ModSecurity allows.
    for (size_t i = 1; i < words.size() && problem.empty(); ++i) {
      std::string_view rest = words[i].text;
      while (problem.empty()) {
        const size_t start = rest.find_first_not_of(" \t");
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        const std::string_view id = rest.substr(0, rest.find_first_of(" \t"));
        rest.remove_prefix(id.size());
        if (!is_rule_id_or_range(id)) {
          problem = "'" + std::string(id) + "' is not a rule id or an id range (such as 100-200)";
        } else {
          d.args.emplace_back(id);
        }
      }
    }
    if (problem.empty() && d.args.empty()) problem = "SecRuleRemoveById needs rule ids";
  } else if (key == "secruleupdatetargetbyid" || key == "secruleupdatetargetbytag" ||
             key == "secruleupdatetargetbymsg") {
    if (!arg_count(2, 3, "a rule selector, VARIABLES and an optional replaced variable")) return;
    d.kind = key == "secruleupdatetargetbyid"    ? DirectiveKind::kUpdateTargetById
             : key == "secruleupdatetargetbytag" ? DirectiveKind::kUpdateTargetByTag
                                                 : DirectiveKind::kUpdateTargetByMsg;
    if (d.kind == DirectiveKind::kUpdateTargetById && !is_rule_id_or_range(words[1].text)) {
      problem = "'" + words[1].text + "' is not a rule id or an id range";
    } else {
      d.args.push_back(words[1].text);
      if (nargs == 3) d.args.push_back(words[3].text);
      problem = parse_variables(words[2].text, d.variables);
    }
  } else if (key == "secruleupdateactionbyid") {
    if (!arg_count(2, 2, "ID[:OFFSET] and the actions")) return;
    d.kind = DirectiveKind::kUpdateActionById;
    if (!is_update_action_id(words[1].text)) {
      problem = "'" + words[1].text + "' is not a rule id (optionally with :offset)";
    } else {
      d.args.push_back(words[1].text);
      problem = parse_actions(words[2].text, d.actions);
    }
  } else {
    d.kind = DirectiveKind::kSetting;
    for (size_t i = 1; i < words.size(); ++i) d.args.push_back(words[i].text);
  }
  if (!problem.empty()) {
    error(where, std::move(problem));
    return;
  }
  out_.directives.push_back(std::move(d));
}

void Loader::include(const std::string& pattern, const SourceLocation& where,
                     const std::string& base_dir, size_t depth) {
  if (depth + 1 > limits_.max_include_depth) {
    error(where,
          "Include nested deeper than " + std::to_string(limits_.max_include_depth) + " levels");
    return;
  }
  if (pattern.empty()) {
    error(where, "Include needs a file name");
    return;
  }
  const std::string path =
      pattern.front() == '/' || base_dir.empty() ? pattern : base_dir + "/" + pattern;
  if (path.find_first_of("*?[") == std::string::npos) {
    load_file(path, depth + 1, where);
    return;
  }
  glob_t matches{};
  const int rc = ::glob(path.c_str(), 0, nullptr, &matches);
  if (rc != 0) {
    globfree(&matches);
    // An empty glob is an error, as in ModSecurity: a pattern that matches nothing is
    // most often a wrong path.
    error(where, rc == GLOB_NOMATCH ? "Include pattern '" + path + "' matches no file"
                                    : "cannot expand Include pattern '" + path + "'");
    return;
  }
  std::vector<std::string> files(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
  globfree(&matches);
  for (const std::string& file : files) load_file(file, depth + 1, where);
}

}  // namespace

void parse_file(const std::string& path, const ParseLimits& limits, ParsedFiles& out) {
  Loader loader(limits, out);
  loader.load_file(path, 0, SourceLocation{path, 0});
}

void parse_text(std::string_view text, const std::string& name, const std::string& base_dir,
                const ParseLimits& limits, ParsedFiles& out) {
  Loader loader(limits, out);
  if (text.size() > std::min(limits.max_file_bytes, limits.max_total_bytes)) {
    ParseError too_big;
    too_big.where = SourceLocation{name, 0};
    too_big.message = "'" + name + "' is larger than the limits allow (" +
                      std::to_string(text.size()) + " bytes)";
    out.errors.push_back(std::move(too_big));
    return;
  }
  loader.parse(text, name, base_dir, 0);
}

}  // namespace rampart::seclang
