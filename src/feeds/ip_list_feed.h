#pragma once
// Named IP lists read from files (`lists: <name>: {file: ...}`) as data feeds: the file
// is polled like every other feed, and each version that passes the feed's checks is
// published into the list's live set, which rule expressions read.

#include <memory>
#include <string>
#include <string_view>

#include "core/live_ip_set.h"
#include "feeds/feed.h"

namespace rampart::feeds {

// One address or CIDR per line, '#' comments; the whole file is refused on any bad line.
Compiled compile_ip_list(std::string_view text, uint64_t max_entries);

// The feed "list.<name>" over `path`, re-read now, publishing into `set` from now on. A
// feed that already serves a version (a reload that keeps the list) publishes that
// version, not what the config loader just read: a jump held back stays held back
// across reloads. Keep the returned feed for as long as `set` is in use.
std::shared_ptr<Feed> use_ip_list(const std::string& list_name, const std::string& path,
                                  const Limits& limits,
                                  const std::shared_ptr<core::LiveIpSet>& set);

}  // namespace rampart::feeds
