#include "feeds/registry.h"

#include <fmt/format.h>

#include <chrono>

namespace rampart::feeds {

namespace {

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string state_json(const State& s) {
  std::string out = "{\"name\":";
  json_string(out, s.name);
  out += ",\"path\":";
  json_string(out, s.path);
  out += ",\"version\":";
  json_string(out, s.version);
  out += fmt::format(",\"entries\":{},\"bytes\":{},\"applied_at\":{},\"last_result\":\"{}\"",
                     s.entries, s.bytes, s.applied_at, result_name(s.last_result));
  out += ",\"last_reason\":";
  json_string(out, s.last_reason);
  if (!s.held_version.empty()) {
    out += ",\"held_back\":{\"version\":";
    json_string(out, s.held_version);
    out += fmt::format(",\"entries\":{},\"bytes\":{}}}", s.held_entries, s.held_bytes);
  } else {
    out += ",\"held_back\":null";
  }
  out += '}';
  return out;
}

}  // namespace

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

Registry::~Registry() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<Feed> Registry::use(const std::string& name, const std::string& path,
                                    const Limits& limits, Compiler compiler) {
  std::shared_ptr<Feed> feed;
  {
    std::lock_guard lock(mu_);
    auto it = feeds_.find(name);
    if (it != feeds_.end()) feed = it->second.lock();
    if (feed != nullptr && feed->path() == path) {
      feed->set_limits(limits);
    } else {
      feed = std::make_shared<Feed>(name, path, limits, std::move(compiler));
      feeds_[name] = feed;
    }
    start_thread_locked();
  }
  feed->refresh(true);
  return feed;
}

std::vector<std::shared_ptr<Feed>> Registry::live() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Feed>> out;
  for (auto it = feeds_.begin(); it != feeds_.end();) {
    if (auto f = it->second.lock()) {
      out.push_back(std::move(f));
      ++it;
    } else {
      it = feeds_.erase(it);
    }
  }
  return out;
}

void Registry::poll_once() {
  for (const auto& feed : live()) feed->refresh(false);
}

void Registry::start_thread_locked() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::seconds(1));
      if (stop_) break;
      lock.unlock();
      poll_once();
      lock.lock();
    }
  });
}

std::string Registry::to_json() {
  std::string out = "{\"feeds\":[";
  bool first = true;
  for (const auto& feed : live()) {
    if (!first) out += ',';
    first = false;
    out += state_json(feed->state());
  }
  out += "]}\n";
  return out;
}

void Registry::render_metrics(std::string& out) {
  auto feeds = live();
  if (feeds.empty()) return;
  out += "# HELP rampart_feed_updates_total Data feed file checks, by feed and result\n";
  out += "# TYPE rampart_feed_updates_total counter\n";
  for (const auto& feed : feeds) {
    for (int r = 0; r < kResultCount; ++r) {
      if (static_cast<Result>(r) == Result::kUnchanged) continue;
      out +=
          fmt::format("rampart_feed_updates_total{{feed=\"{}\",result=\"{}\"}} {}\n", feed->name(),
                      result_name(static_cast<Result>(r)), feed->count(static_cast<Result>(r)));
    }
  }
  out += "# HELP rampart_feed_entries Entries of the running version of each data feed\n";
  out += "# TYPE rampart_feed_entries gauge\n";
  for (const auto& feed : feeds)
    out += fmt::format("rampart_feed_entries{{feed=\"{}\"}} {}\n", feed->name(),
                       feed->state().entries);
  out += "# HELP rampart_feed_held_back 1 while a data feed has a held-back version\n";
  out += "# TYPE rampart_feed_held_back gauge\n";
  for (const auto& feed : feeds)
    out += fmt::format("rampart_feed_held_back{{feed=\"{}\"}} {}\n", feed->name(),
                       feed->state().held_version.empty() ? 0 : 1);
}

int Registry::accept(std::string_view name, std::string& body) {
  for (const auto& feed : live()) {
    if (feed->name() != name) continue;
    if (!feed->accept_held()) {
      body = "{\"error\":\"nothing is held back for this feed\"}\n";
      return 409;
    }
    body = state_json(feed->state()) + "\n";
    return 200;
  }
  body = "{\"error\":\"no such feed\"}\n";
  return 404;
}

}  // namespace rampart::feeds
