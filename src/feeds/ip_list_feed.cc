#include "feeds/ip_list_feed.h"

#include "core/ip_range_set.h"
#include "feeds/registry.h"

namespace rampart::feeds {

Compiled compile_ip_list(std::string_view text, uint64_t max_entries) {
  // Feeds saved by some Windows tools start with a UTF-8 byte order mark.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  core::IpListLoad load = core::parse_ip_list(text, max_entries);
  Compiled c;
  if (load.entries > max_entries) {
    c.data = std::make_shared<int>(0);
    c.entries = load.entries;  // the feed reports "over the limit"
    return c;
  }
  if (!load.errors.empty() || load.set == nullptr) {
    c.error = load.errors.empty() ? "cannot be parsed" : load.errors.front().to_string();
    if (load.errors.size() > 1)
      c.error += " (and " + std::to_string(load.errors.size() - 1) + " more)";
    return c;
  }
  c.entries = load.entries;
  c.data = std::move(load.set);
  return c;
}

std::shared_ptr<Feed> use_ip_list(const std::string& list_name, const std::string& path,
                                  const Limits& limits,
                                  const std::shared_ptr<core::LiveIpSet>& set) {
  std::shared_ptr<Feed> feed =
      Registry::instance().use("list." + list_name, path, limits, compile_ip_list);
  std::weak_ptr<core::LiveIpSet> weak = set;
  feed->listen([weak](const std::shared_ptr<const void>& data) {
    std::shared_ptr<core::LiveIpSet> live = weak.lock();
    if (live == nullptr) return false;
    live->publish(std::static_pointer_cast<const core::IpRangeSet>(data));
    return true;
  });
  return feed;
}

}  // namespace rampart::feeds
