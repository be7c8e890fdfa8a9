#include "modules/ddos/ddos_store.h"

#include <chrono>
#include <vector>

#include "core/log.h"

namespace rampart::modules::ddos {
namespace {

// The value of `key` in a query string (no percent-decoding: the values are site names
// and keywords, which need none).
std::string_view query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

pipeline::AdminReply error_reply(int status, std::string_view message) {
  return {status, "{\"error\":\"" + std::string(message) + "\"}\n"};
}

}  // namespace

DdosStore& DdosStore::instance() {
  static DdosStore store;
  return store;
}

DdosStore::~DdosStore() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
}

int64_t DdosStore::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<SiteDetector> DdosStore::detector(const std::string& site) {
  std::lock_guard lock(mutex_);
  auto& d = sites_[site];
  if (!d) d = std::make_shared<SiteDetector>(site);
  if (!timer_.joinable()) timer_ = std::thread([this] { run_timer(); });
  return d;
}

std::shared_ptr<SiteDetector> DdosStore::find(const std::string& site) const {
  std::lock_guard lock(mutex_);
  auto it = sites_.find(site);
  return it == sites_.end() ? nullptr : it->second;
}

void DdosStore::run_timer() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // A quarter second keeps each detector's ticks within 250 ms of a second apart.
    stop_cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (stopping_) break;
    std::vector<std::shared_ptr<SiteDetector>> sites;
    sites.reserve(sites_.size());
    for (auto it = sites_.begin(); it != sites_.end();) {
      // Only the store holds it: no live config has the site any more (references are
      // only handed out under this lock, so none can appear meanwhile). Forgetting it
      // bounds memory to the configured sites; a site added back learns anew.
      if (it->second.use_count() == 1) {
        it = sites_.erase(it);
        continue;
      }
      sites.push_back(it->second);
      ++it;
    }
    lock.unlock();
    int64_t now = now_ms();
    for (const auto& d : sites) d->advance(now);
    lock.lock();
  }
}

std::optional<pipeline::AdminReply> DdosStore::handle_admin(const pipeline::AdminCall& call) {
  bool read_only = call.method == "GET" || call.method == "HEAD";
  if (call.path == "/ddos/mitigations") {
    if (!read_only) return error_reply(405, "use GET");
    std::vector<std::shared_ptr<SiteDetector>> sites;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [name, d] : sites_) sites.push_back(d);
    }
    std::string_view only = query_value(call.query, "site");
    int64_t now = now_ms();
    std::string body = "{\"sites\":[";
    bool first = true;
    for (const auto& d : sites) {
      if (!only.empty() && d->site() != only) continue;
      if (!first) body += ",";
      first = false;
      body += d->to_json(now);
    }
    body += "]}\n";
    return pipeline::AdminReply{200, std::move(body)};
  }
  if (call.path == "/ddos/under_attack") {
    if (call.method != "POST") return error_reply(405, "use POST");
    std::string site(query_value(call.query, "site"));
    std::shared_ptr<SiteDetector> d = find(site);
    if (!d) return error_reply(404, "no site with a ddos section by that name");
    std::string_view enabled = query_value(call.query, "enabled");
    int value;
    if (enabled == "true" || enabled == "1") {
      value = 1;
    } else if (enabled == "false" || enabled == "0") {
      value = 0;
    } else if (enabled == "config") {
      value = -1;
    } else {
      return error_reply(400, "enabled must be true, false or config");
    }
    d->set_under_attack_override(value);
    core::log(core::LogLevel::kWarn, "ddos: site {}: under-attack mode {} by the admin API", site,
              value < 0 ? "follows the config" : (value ? "on" : "off"));
    return pipeline::AdminReply{200, "{\"site\":\"" + site + "\",\"under_attack\":" +
                                         (d->under_attack() ? "true" : "false") + ",\"source\":\"" +
                                         (value < 0 ? "config" : "admin") + "\"}\n"};
  }
  return std::nullopt;
}

void register_ddos_admin_routes() {
  pipeline::add_admin_route("/ddos/", [](const pipeline::AdminCall& call) {
    return DdosStore::instance().handle_admin(call);
  });
}

}  // namespace rampart::modules::ddos
