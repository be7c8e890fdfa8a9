// compile_operator: maps an operator name onto its family's factory (one file per
// family: operator_regex, operator_string, operator_numeric, operator_ip,
// operator_validate, operator_detect), plus the shared helpers they use.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "seclang/operator.h"
#include "seclang/operator_internal.h"

namespace rampart::seclang {
namespace detail {
namespace {

class ConstantOperator final : public Operator {
 public:
  explicit ConstantOperator(MatchResult result) : result_(result) {}
  MatchResult match(std::string_view, std::string_view, Captures*) const override {
    return result_;
  }

 private:
  MatchResult result_;
};

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y) return false;
  }
  return true;
}

std::string file_name_macro_error(std::string_view name) {
  std::string message = "@";
  message += name;
  message += " does not take macros in its file name";
  return message;
}

std::string resolve_data_path(std::string_view path, const OperatorLoadContext& context) {
  if (path.starts_with('/') || context.rules_dir.empty()) return std::string(path);
  std::string out = context.rules_dir;
  if (!out.ends_with('/')) out += '/';
  out += path;
  return out;
}

std::optional<std::string> read_data_file(const std::string& path, size_t max_bytes,
                                          std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string content;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read " + path + ": " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      error = path + " is larger than " + std::to_string(max_bytes) + " bytes";
      ::close(fd);
      return std::nullopt;
    }
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

}  // namespace detail

std::unique_ptr<Operator> compile_operator(const OperatorSpec& spec, bool dynamic_argument,
                                           const OperatorLoadContext& context, std::string& error) {
  using namespace detail;
  error.clear();
  std::string_view name = spec.name;
  if (iequals(name, "unconditionalMatch")) {
    return std::make_unique<ConstantOperator>(MatchResult::kMatch);
  }
  if (iequals(name, "noMatch")) return std::make_unique<ConstantOperator>(MatchResult::kNoMatch);
  std::unique_ptr<Operator> op =
      make_regex_operator(name, spec.argument, dynamic_argument, context, error);
  if (!op && error.empty()) {
    op = make_string_operator(name, spec.argument, dynamic_argument, context, error);
  }
  if (!op && error.empty())
    op = make_numeric_operator(name, spec.argument, dynamic_argument, error);
  if (!op && error.empty()) {
    op = make_ip_operator(name, spec.argument, dynamic_argument, context, error);
  }
  if (!op && error.empty()) {
    op = make_validate_operator(name, spec.argument, dynamic_argument, error);
  }
  if (!op && error.empty()) op = make_detect_operator(name);
  if (op) return op;
  if (!error.empty()) {
    if (!error.starts_with('@')) error = "@" + spec.name + ": " + error;
    return nullptr;
  }
  error = "unknown operator @" + spec.name;
  return nullptr;
}

}  // namespace rampart::seclang
