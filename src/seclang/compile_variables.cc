#include <re2/re2.h>

#include "seclang/compile_internal.h"
#include "seclang/text_util.h"

namespace rampart::seclang {

uint32_t CompileContext::intern_chain(const std::vector<Transform>& transforms) {
  auto [it, inserted] = chains.emplace(transforms, static_cast<uint32_t>(chains.size()));
  return it->second;
}

bool compile_variables(const std::vector<VariableRef>& refs, const SourceLocation& where,
                       CompileContext& cx, std::vector<Selector>& selectors,
                       std::vector<Selector>& exclusions) {
  bool ok = true;
  for (const auto& ref : refs) {
    auto variable = variable_by_name(ref.collection);
    if (!variable) {
      cx.error(where, "unknown variable '" + ref.collection + "'");
      ok = false;
      continue;
    }
    const auto& info = variable_info(*variable);
    Selector selector;
    selector.variable = *variable;
    selector.count = ref.count;
    selector.written = std::string(info.name);
    if (!ref.selector.empty()) {
      selector.written += ":" + (ref.selector_is_regex ? "/" + ref.selector + "/" : ref.selector);
      if (!info.collection) {
        cx.error(where, "variable '" + std::string(info.name) +
                            "' is not a collection: it takes no ':" + ref.selector + "'");
        ok = false;
        continue;
      }
      if (*variable == Variable::kXml &&
          (ref.selector_is_regex || (ref.selector != "/*" && ref.selector != "//@*"))) {
        cx.error(where, "XML:" + ref.selector + ": only the XPaths '/*' and '//@*' are supported");
        ok = false;
        continue;
      }
      if (ref.selector_is_regex) {
        RE2::Options options;
        options.set_case_sensitive(false);
        options.set_log_errors(false);
        auto regex = std::make_shared<re2::RE2>(ref.selector, options);
        if (!regex->ok()) {
          cx.error(where, "bad key regex /" + ref.selector + "/: " + regex->error());
          ok = false;
          continue;
        }
        selector.key_regex = std::move(regex);
      } else {
        selector.key = to_lower(ref.selector);
      }
    }
    if (ref.exclude) {
      exclusions.push_back(std::move(selector));
    } else {
      selectors.push_back(std::move(selector));
    }
  }
  return ok;
}

}  // namespace rampart::seclang
