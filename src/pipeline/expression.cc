#include "pipeline/expression.h"

#include <string>

namespace rampart::pipeline {

std::shared_ptr<const rules::Program> compile_expression(rules::Compiler& compiler,
                                                         const config::SourceText& source,
                                                         rules::Type type, std::string_view file,
                                                         std::string_view what,
                                                         std::vector<config::Diagnostic>& errors) {
  rules::CompileResult result = compiler.compile(source.text, type);
  if (result.program) return std::move(result.program);
  const rules::CompileError& e = *result.error;
  config::SourceText::Position at = source.locate(e.offset);
  std::string message = std::string(what) + ": " + e.message + "\n" +
                        rules::caret_snippet(source.text, e.offset, e.length);
  errors.push_back(config::Diagnostic{std::string(file), at.line, at.column, std::move(message)});
  return nullptr;
}

rules::IpLists ip_lists_of(const config::Config& config) {
  rules::IpLists lists;
  for (const auto& [name, list] : config.lists) {
    if (list.kind == config::ListKind::kIp && list.live) lists.emplace(name, list.live);
  }
  return lists;
}

}  // namespace rampart::pipeline
