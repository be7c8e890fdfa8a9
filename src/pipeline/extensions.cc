#include "pipeline/extensions.h"

#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

namespace rampart::pipeline {
namespace {

struct Route {
  std::string prefix;
  AdminHandler handler;
};

std::mutex& routes_mutex() {
  static std::mutex m;
  return m;
}

std::vector<Route>& routes() {
  static std::vector<Route> r;
  return r;
}

std::atomic<ClearanceCheck> clearance_check{nullptr};

}  // namespace

void add_admin_route(std::string prefix, AdminHandler handler) {
  std::lock_guard lock(routes_mutex());
  for (Route& r : routes()) {
    if (r.prefix == prefix) {
      r.handler = std::move(handler);
      return;
    }
  }
  routes().push_back({std::move(prefix), std::move(handler)});
}

bool has_admin_route(std::string_view path) {
  std::lock_guard lock(routes_mutex());
  for (const Route& r : routes()) {
    if (path.starts_with(r.prefix)) return true;
  }
  return false;
}

std::optional<AdminReply> call_admin_route(const AdminCall& call) {
  AdminHandler handler;
  {
    std::lock_guard lock(routes_mutex());
    for (const Route& r : routes()) {
      if (call.path.starts_with(r.prefix)) {
        handler = r.handler;
        break;
      }
    }
  }
  if (!handler) return std::nullopt;
  return handler(call);
}

void set_clearance_check(ClearanceCheck check) {
  clearance_check.store(check, std::memory_order_release);
}

bool has_valid_clearance(const RequestContext& ctx) {
  ClearanceCheck check = clearance_check.load(std::memory_order_acquire);
  return check != nullptr && check(ctx);
}

}  // namespace rampart::pipeline
