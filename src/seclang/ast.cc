#include "seclang/ast.h"

namespace rampart::seclang {

std::string describe(const SourceLocation& where) {
  return where.file + ":" + std::to_string(where.line);
}

}  // namespace rampart::seclang
