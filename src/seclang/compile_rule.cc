// Rule declarations → compiled rules: operators, transformations and actions, with the
// phase's SecDefaultAction merged in the way ModSecurity v3 merges it.
#include <algorithm>
#include <charconv>

#include "seclang/compile_internal.h"
#include "seclang/text_util.h"

namespace rampart::seclang {
namespace {

bool parse_int(std::string_view text, int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// `ctl:name=value`.
bool compile_ctl(std::string_view value, const SourceLocation& where, CompileContext& cx,
                 CtlAction& ctl) {
  size_t eq = value.find('=');
  if (eq == std::string_view::npos) {
    cx.error(where, "ctl:" + std::string(value) + ": expected name=value");
    return false;
  }
  std::string_view name = value.substr(0, eq);
  std::string_view arg = value.substr(eq + 1);
  auto id_range = [&](std::string_view text) {
    size_t dash = text.find('-', 1);
    if (dash == std::string_view::npos) {
      if (!parse_int(text, ctl.first_id)) return false;
      ctl.last_id = ctl.first_id;
      return true;
    }
    return parse_int(text.substr(0, dash), ctl.first_id) &&
           parse_int(text.substr(dash + 1), ctl.last_id) && ctl.first_id <= ctl.last_id;
  };
  if (name == "ruleRemoveById") {
    ctl.kind = CtlKind::kRuleRemoveById;
    if (!id_range(arg)) {
      cx.error(where, "ctl:ruleRemoveById: '" + std::string(arg) + "' is not an id or id range");
      return false;
    }
    return true;
  }
  if (name == "ruleRemoveByTag") {
    ctl.kind = CtlKind::kRuleRemoveByTag;
    ctl.tag = std::string(arg);
    return true;
  }
  if (name == "ruleRemoveTargetById" || name == "ruleRemoveTargetByTag") {
    size_t semi = arg.find(';');
    if (semi == std::string_view::npos) {
      cx.error(where, "ctl:" + std::string(name) + ": expected ID;TARGET");
      return false;
    }
    ctl.target = std::string(arg.substr(semi + 1));
    if (name == "ruleRemoveTargetById") {
      ctl.kind = CtlKind::kRuleRemoveTargetById;
      if (!id_range(arg.substr(0, semi))) {
        cx.error(where,
                 "ctl:ruleRemoveTargetById: bad id '" + std::string(arg.substr(0, semi)) + "'");
        return false;
      }
    } else {
      ctl.kind = CtlKind::kRuleRemoveTargetByTag;
      ctl.tag = std::string(arg.substr(0, semi));
    }
    return true;
  }
  if (name == "ruleEngine") {
    ctl.kind = CtlKind::kRuleEngine;
    if (iequals(arg, "on")) {
      ctl.engine = EngineMode::kOn;
    } else if (iequals(arg, "off")) {
      ctl.engine = EngineMode::kOff;
    } else if (iequals(arg, "detectiononly")) {
      ctl.engine = EngineMode::kDetectionOnly;
    } else {
      cx.error(where, "ctl:ruleEngine: expected On, Off or DetectionOnly");
      return false;
    }
    return true;
  }
  if (name == "requestBodyProcessor") {
    ctl.kind = CtlKind::kRequestBodyProcessor;
    ctl.value = to_lower(arg);
    for (char& c : ctl.value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (ctl.value != "JSON" && ctl.value != "XML" && ctl.value != "URLENCODED" &&
        ctl.value != "MULTIPART") {
      cx.error(where, "ctl:requestBodyProcessor: unknown processor '" + std::string(arg) + "'");
      return false;
    }
    return true;
  }
  if (name == "requestBodyAccess") {
    ctl.kind = CtlKind::kRequestBodyAccess;
    ctl.value = iequals(arg, "on") || arg == "1" || iequals(arg, "true") ? "On" : "Off";
    return true;
  }
  if (name == "forceRequestBodyVariable") {
    ctl.kind = CtlKind::kForceRequestBodyVariable;
    ctl.value = std::string(arg);
    return true;
  }
  if (name == "auditEngine" || name == "auditLogParts") {
    ctl.kind = CtlKind::kAuditSetting;
    return true;
  }
  cx.error(where, "ctl:" + std::string(name) + " is not supported");
  return false;
}

// `setvar:[!]collection.name[=[+|-]value]`.
bool compile_setvar(std::string_view text, const SourceLocation& where, CompileContext& cx,
                    SetVarAction& out) {
  bool remove = !text.empty() && text[0] == '!';
  if (remove) text.remove_prefix(1);
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) {
    cx.error(where, "setvar:" + std::string(text) + ": expected collection.name");
    return false;
  }
  auto collection = writable_collection(to_lower(text.substr(0, dot)));
  if (!collection) {
    cx.error(where,
             "setvar: '" + std::string(text.substr(0, dot)) + "' is not a writable collection");
    return false;
  }
  out.collection = *collection;
  std::string_view rest = text.substr(dot + 1);
  size_t eq = rest.find('=');
  std::string_view name = eq == std::string_view::npos ? rest : rest.substr(0, eq);
  std::string error;
  auto name_macro = compile_macro(to_lower(name), error);
  if (!name_macro) {
    cx.error(where, "setvar: " + error);
    return false;
  }
  out.name = std::move(*name_macro);
  std::string_view value;
  if (remove) {
    out.op = SetVarOp::kDelete;
  } else if (eq == std::string_view::npos) {
    out.op = SetVarOp::kSet;
    value = "1";
  } else {
    value = rest.substr(eq + 1);
    out.op = SetVarOp::kSet;
    if (!value.empty() && (value[0] == '+' || value[0] == '-')) {
      out.op = value[0] == '+' ? SetVarOp::kAdd : SetVarOp::kSubtract;
      value.remove_prefix(1);
    }
  }
  auto value_macro = compile_macro(value, error);
  if (!value_macro) {
    cx.error(where, "setvar: " + error);
    return false;
  }
  out.value = std::move(*value_macro);
  return true;
}

std::optional<Macro> macro_or_error(std::string_view text, const SourceLocation& where,
                                    std::string_view action, CompileContext& cx) {
  std::string error;
  auto macro = compile_macro(text, error);
  if (!macro) cx.error(where, std::string(action) + ": " + error);
  return macro;
}

// Actions that only describe the rule (accepted anywhere, no run-time effect).
bool is_metadata_action(std::string_view name) {
  return name == "ver" || name == "rev" || name == "maturity" || name == "accuracy" ||
         name == "auditlog" || name == "noauditlog" || name == "xmlns";
}

}  // namespace

int parse_severity(std::string_view text) {
  static constexpr std::string_view kNames[] = {"EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
                                                "WARNING",   "NOTICE", "INFO",     "DEBUG"};
  for (int i = 0; i < 8; ++i) {
    if (iequals(text, kNames[i])) return i;
  }
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '7') return text[0] - '0';
  return -1;
}

int parse_phase(std::string_view text) {
  if (text.size() == 1 && text[0] >= '1' && text[0] <= '5') return text[0] - '0';
  if (iequals(text, "request")) return 2;
  if (iequals(text, "response")) return 4;
  if (iequals(text, "logging")) return 5;
  return 0;
}

namespace {

struct LinkActions {
  std::vector<Transform> transforms;
  bool has_none = false;
  int log = -1;
};

// Applies one action to the rule (head-only actions) or link; returns false on error.
bool apply_action(const Action& a, bool head, CompileContext& cx, Rule& rule, RuleLink& link,
                  LinkActions& la) {
  const auto& where = link.where;
  const std::string& n = a.name;
  auto head_only = [&]() {
    if (head) return true;
    cx.error(where, "action '" + n + "' is only allowed in the first rule of a chain");
    return false;
  };
  if (n == "t") {
    auto t = transform_by_name(a.value);
    if (!t) {
      cx.error(where, "unknown transformation 't:" + a.value + "'");
      return false;
    }
    if (*t == Transform::kNone) {
      la.transforms.clear();
      la.has_none = true;
    } else {
      la.transforms.push_back(*t);
    }
    return true;
  }
  if (n == "setvar") {
    SetVarAction sv;
    if (!compile_setvar(a.value, where, cx, sv)) return false;
    link.setvars.push_back(std::move(sv));
    return true;
  }
  if (n == "ctl") {
    CtlAction ctl;
    if (!compile_ctl(a.value, where, cx, ctl)) return false;
    link.ctls.push_back(std::move(ctl));
    return true;
  }
  if (n == "capture") {
    link.capture = true;
    return true;
  }
  if (n == "multiMatch") {
    link.multi_match = true;
    return true;
  }
  if (n == "chain") return true;  // the parser already grouped the chain
  if (n == "log" || n == "nolog") {
    la.log = n == "log" ? 1 : 0;
    return true;
  }
  if (n == "initcol") {
    size_t eq = a.value.find('=');
    auto collection = eq == std::string::npos
                          ? std::nullopt
                          : writable_collection(to_lower(a.value.substr(0, eq)));
    if (!collection) {
      cx.error(where,
               "initcol:" + a.value + ": expected ip=, global=, session=, user= or resource=");
      return false;
    }
    SetVarAction init;
    init.collection = *collection;
    auto key = macro_or_error(a.value.substr(eq + 1), where, "initcol", cx);
    if (!key) return false;
    init.value = std::move(*key);
    link.initcols.push_back(std::move(init));
    return true;
  }
  if (n == "expirevar") {
    SetVarAction expire;
    if (!compile_setvar(a.value, where, cx, expire)) return false;
    if (expire.op != SetVarOp::kSet) {
      cx.error(where, "expirevar:" + a.value + ": expected collection.name=seconds");
      return false;
    }
    link.expirevars.push_back(std::move(expire));
    return true;
  }
  if (is_metadata_action(n)) {
    if (n == "ver") rule.ver = a.value;
    if (n == "rev") rule.rev = a.value;
    return true;
  }
  // The rest describe the whole rule and belong to the chain's first rule.
  if (n == "id") {
    if (!head_only()) return false;
    int64_t id = 0;
    if (!parse_int(a.value, id) || id <= 0) {
      cx.error(where, "id:" + a.value + ": expected a positive integer");
      return false;
    }
    rule.id = id;
    return true;
  }
  if (n == "phase") {
    if (!head_only()) return false;
    int phase = parse_phase(a.value);
    if (phase == 0) {
      cx.error(where, "phase:" + a.value + ": expected 1-5, request, response or logging");
      return false;
    }
    rule.phase = phase;
    return true;
  }
  if (n == "msg" || n == "logdata") {
    auto macro = macro_or_error(a.value, where, n, cx);
    if (!macro) return false;
    (n == "msg" ? rule.msg : rule.logdata) = std::move(*macro);
    return true;
  }
  if (n == "tag") {
    rule.tags.push_back(a.value);
    return true;
  }
  if (n == "severity") {
    int severity = parse_severity(a.value);
    if (severity < 0) {
      cx.error(where, "severity:" + a.value + ": unknown severity");
      return false;
    }
    rule.severity = severity;
    return true;
  }
  if (n == "status") {
    if (!head_only()) return false;
    int64_t status = 0;
    if (!parse_int(a.value, status) || status < 100 || status > 599) {
      cx.error(where, "status:" + a.value + ": expected an HTTP status 100-599");
      return false;
    }
    rule.status = static_cast<int>(status);
    return true;
  }
  if (n == "skipAfter") {
    if (!head_only()) return false;
    rule.skip_after = a.value;
    return true;
  }
  if (n == "skip") {
    if (!head_only()) return false;
    int64_t count = 0;
    if (!parse_int(a.value, count) || count < 1) {
      cx.error(where, "skip:" + a.value + ": expected a positive count");
      return false;
    }
    rule.skip = static_cast<int>(count);
    return true;
  }
  static constexpr std::pair<std::string_view, Disruptive> kDisruptive[] = {
      {"pass", Disruptive::kPass},   {"block", Disruptive::kBlock},
      {"deny", Disruptive::kDeny},   {"drop", Disruptive::kDrop},
      {"allow", Disruptive::kAllow}, {"redirect", Disruptive::kRedirect}};
  for (const auto& [name, kind] : kDisruptive) {
    if (n != name) continue;
    if (!head_only()) return false;
    rule.disruptive = kind;
    if (kind == Disruptive::kAllow && a.has_value) {
      if (a.value == "phase") {
        rule.allow_scope = AllowScope::kPhase;
      } else if (a.value == "request") {
        rule.allow_scope = AllowScope::kRequest;
      } else {
        cx.error(where, "allow:" + a.value + ": expected allow, allow:phase or allow:request");
        return false;
      }
    }
    if (kind == Disruptive::kRedirect) {
      auto url = macro_or_error(a.value, where, "redirect", cx);
      if (!url) return false;
      rule.redirect_url = std::move(*url);
    }
    return true;
  }
  cx.error(where, "action '" + n + "' is not supported");
  return false;
}

void compile_link(const RuleDecl& decl, bool head, CompileContext& cx, Rule& rule, RuleLink& link) {
  link.where = decl.where;
  if (decl.is_action) {
    link.op_name = "unconditionalMatch";
    link.unconditional = true;
  } else {
    compile_variables(decl.variables, decl.where, cx, link.selectors, link.exclusions);
    if (link.selectors.empty() && !decl.variables.empty()) {
      // Only exclusions (or only errors): ModSecurity would evaluate nothing.
      if (!link.exclusions.empty()) cx.error(decl.where, "the variable list has only exclusions");
    }
    link.op_name = decl.op.name;
    link.negated = decl.op.negated;
  }
  LinkActions la;
  for (const auto& action : decl.actions) apply_action(action, head, cx, rule, link, la);

  OperatorSpec spec = decl.is_action ? OperatorSpec{"unconditionalMatch", "", false} : decl.op;
  if (spec.argument.size() > cx.options.max_pattern_bytes) {
    cx.error(decl.where, "operator argument of " + std::to_string(spec.argument.size()) +
                             " bytes is over the limit of " +
                             std::to_string(cx.options.max_pattern_bytes));
    return;
  }
  link.dynamic_argument = spec.argument.find("%{") != std::string::npos;
  if (link.dynamic_argument) {
    auto macro = macro_or_error(spec.argument, decl.where, "@" + spec.name, cx);
    if (!macro) return;
    link.argument = std::move(*macro);
  }
  OperatorLoadContext ocx;
  size_t slash = decl.where.file.find_last_of('/');
  ocx.rules_dir = slash == std::string::npos ? "." : decl.where.file.substr(0, slash);
  ocx.pcre_match_limit = cx.pcre_match_limit;
  std::string error;
  link.op = compile_operator(spec, link.dynamic_argument, ocx, error);
  if (!link.op) cx.error(decl.where, "@" + spec.name + ": " + error);

  // Phase defaults: their transformations come first unless the rule says t:none.
  const PhaseDefaults& defaults = cx.defaults[rule.phase];
  if (!la.has_none) {
    link.transforms = defaults.transforms;
  }
  link.transforms.insert(link.transforms.end(), la.transforms.begin(), la.transforms.end());
  link.transform_chain = cx.intern_chain(link.transforms);
  if (head) rule.log = la.log >= 0 ? la.log == 1 : defaults.log != 0;
}

}  // namespace

void compile_rule(const RuleDecl& decl, CompileContext& cx, Rule& rule) {
  // The phase decides which defaults apply, so read it before compiling the actions.
  for (const auto& action : decl.actions) {
    if (action.name == "phase") {
      int phase = parse_phase(action.value);
      if (phase != 0) rule.phase = phase;
    }
  }
  rule.where = decl.where;
  rule.links.resize(1 + decl.chained.size());
  compile_link(decl, true, cx, rule, rule.links[0]);
  for (size_t i = 0; i < decl.chained.size(); ++i) {
    compile_link(decl.chained[i], false, cx, rule, rule.links[i + 1]);
  }
  if (rule.id == 0) cx.error(decl.where, "rule has no id");
  const PhaseDefaults& defaults = cx.defaults[rule.phase];
  rule.default_disruptive = defaults.disruptive;
  rule.default_status = defaults.status;
  if (rule.disruptive == Disruptive::kRedirect && !rule.redirect_url) {
    cx.error(decl.where, "redirect needs a URL");
  }
  for (const auto& tag : defaults.tags) rule.tags.push_back(tag);
}

void compile_default_action(const Directive& d, CompileContext& cx) {
  Rule scratch;
  RuleLink link;
  link.where = d.where;
  LinkActions la;
  int phase = 0;
  for (const auto& action : d.actions) {
    if (action.name == "phase") phase = parse_phase(action.value);
  }
  if (phase == 0) {
    cx.error(d.where, "SecDefaultAction needs a phase");
    return;
  }
  scratch.phase = phase;
  for (const auto& action : d.actions) {
    if (action.name == "id" || action.name == "chain" || action.name == "skipAfter" ||
        action.name == "skip") {
      cx.error(d.where, "SecDefaultAction cannot carry '" + action.name + "'");
      continue;
    }
    apply_action(action, true, cx, scratch, link, la);
  }
  if (scratch.disruptive == Disruptive::kNone || scratch.disruptive == Disruptive::kBlock) {
    cx.error(d.where,
             "SecDefaultAction needs a disruptive action (pass, deny, drop, redirect, allow)");
    return;
  }
  PhaseDefaults& defaults = cx.defaults[phase];
  defaults.set = true;
  defaults.transforms = la.transforms;
  defaults.disruptive = scratch.disruptive;
  defaults.status = scratch.status;
  defaults.log = la.log;
  defaults.tags = scratch.tags;
}

void update_rule_actions(const std::vector<Action>& actions, const SourceLocation& where,
                         CompileContext& cx, Rule& rule) {
  RuleLink& head = rule.links[0];
  LinkActions la;
  la.transforms = head.transforms;
  Rule updated;
  updated.phase = rule.phase;
  RuleLink scratch_link;
  scratch_link.where = where;
  for (const auto& action : actions) {
    if (action.name == "id" || action.name == "phase" || action.name == "chain") {
      cx.error(where, "SecRuleUpdateActionById cannot change '" + action.name + "'");
      continue;
    }
    if (!apply_action(action, true, cx, updated, scratch_link, la)) continue;
    if (action.name == "msg") rule.msg = updated.msg;
    if (action.name == "logdata") rule.logdata = updated.logdata;
    if (action.name == "severity") rule.severity = updated.severity;
    if (action.name == "status") rule.status = updated.status;
    if (action.name == "tag") rule.tags.push_back(action.value);
  }
  if (updated.disruptive != Disruptive::kNone) {
    rule.disruptive = updated.disruptive;
    rule.allow_scope = updated.allow_scope;
    rule.redirect_url = updated.redirect_url;
  }
  if (la.log >= 0) rule.log = la.log == 1;
  for (auto& sv : scratch_link.setvars) head.setvars.push_back(std::move(sv));
  for (auto& ctl : scratch_link.ctls) head.ctls.push_back(std::move(ctl));
  for (auto& init : scratch_link.initcols) head.initcols.push_back(std::move(init));
  for (auto& expire : scratch_link.expirevars) head.expirevars.push_back(std::move(expire));
  if (la.transforms != head.transforms) {
    head.transforms = la.transforms;
    head.transform_chain = cx.intern_chain(head.transforms);
  }
}

}  // namespace rampart::seclang
