#pragma once
// Process-wide hooks between modules and the parts that cannot depend on them:
// admin API routes a module serves (the admin area knows no module), and the check of a
// bot-clearance token (the bot phase's, issue 9) that earlier phases may consult.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::pipeline {

class RequestContext;

struct AdminCall {
  std::string_view method;
  std::string_view path;
  std::string_view query;
};

struct AdminReply {
  int status = 200;
  std::string body;  // JSON
};

// A handler answers the calls under its prefix (nullopt: not one of its paths, 404).
// The admin server checks the bearer token before calling it with any method other
// than GET or HEAD, so handlers only see authorized mutations.
using AdminHandler = std::function<std::optional<AdminReply>(const AdminCall&)>;

// Registered at start-up (modules::register_builtin_modules), before the admin starts.
void add_admin_route(std::string prefix, AdminHandler handler);
bool has_admin_route(std::string_view path);
// The reply of the first route whose prefix `path` starts with; nullopt when none.
std::optional<AdminReply> call_admin_route(const AdminCall& call);

// Whether the request carries a valid clearance (a solved challenge). Until the bot
// phase registers its check, nobody has one.
using ClearanceCheck = bool (*)(const RequestContext& ctx);
void set_clearance_check(ClearanceCheck check);
bool has_valid_clearance(const RequestContext& ctx);

}  // namespace rampart::pipeline
