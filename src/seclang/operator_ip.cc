// @ipMatch / @ipMatchFromFile (addresses and CIDR prefixes, IPv4 and IPv6, through
// core::IpRangeSet), and the network lookups rampart does not perform: @rbl and
// @geoLookup.

#include <memory>
#include <utility>

#include "core/ip_range_set.h"
#include "seclang/operator_internal.h"

namespace rampart::seclang::detail {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `@ipMatch 10.0.0.0/8,192.168.1.1,::1`; false and `error` set on a bad entry.
bool parse_ip_list(std::string_view list, core::IpRangeSet& out, std::string& error) {
  core::IpRangeSet::Builder builder;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view entry = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    auto cidr = core::Cidr::parse(entry);
    if (!cidr) {
      error = "@ipMatch: \"" + std::string(entry) + "\" is not an IP address or CIDR prefix";
      return false;
    }
    builder.add(*cidr);
  }
  out = std::move(builder).build();
  return true;
}

class IpMatchOperator final : public Operator {
 public:
  explicit IpMatchOperator(std::shared_ptr<const core::IpRangeSet> set) : set_(std::move(set)) {}
  MatchResult match(std::string_view input, std::string_view, Captures*) const override {
    auto ip = core::IpAddress::parse(input);  // not an address: nothing to match
    return ip && set_->contains(*ip) ? MatchResult::kMatch : MatchResult::kNoMatch;
  }

 private:
  std::shared_ptr<const core::IpRangeSet> set_;
};

class DynamicIpMatchOperator final : public Operator {
 public:
  MatchResult match(std::string_view input, std::string_view argument, Captures*) const override {
    core::IpRangeSet set;
    std::string error;
    if (!parse_ip_list(argument, set, error)) return MatchResult::kError;
    auto ip = core::IpAddress::parse(input);
    return ip && set.contains(*ip) ? MatchResult::kMatch : MatchResult::kNoMatch;
  }
};

// rampart makes no DNS (@rbl) or GeoIP database (@geoLookup) lookups from the request
// path. The CRS only reaches these operators when their settings are turned on (off by
// default), so they load, and every evaluation reports kError, which the engine logs
// as "not available" and treats as no match.
class UnavailableOperator final : public Operator {
 public:
  MatchResult match(std::string_view, std::string_view, Captures*) const override {
    return MatchResult::kError;
  }
};

}  // namespace

std::unique_ptr<Operator> make_ip_operator(std::string_view name, const std::string& argument,
                                           bool dynamic, const OperatorLoadContext& context,
                                           std::string& error) {
  if (iequals(name, "ipMatch")) {
    if (dynamic) return std::make_unique<DynamicIpMatchOperator>();
    core::IpRangeSet set;
    if (!parse_ip_list(argument, set, error)) return nullptr;
    return std::make_unique<IpMatchOperator>(
        std::make_shared<const core::IpRangeSet>(std::move(set)));
  }
  if (iequals(name, "ipMatchFromFile") || iequals(name, "ipMatchF")) {
    if (dynamic) {
      error = file_name_macro_error(name);
      return nullptr;
    }
    std::string_view file = trim(argument);
    if (file.starts_with("https://") || file.starts_with("http://")) {
      error = "@ipMatchFromFile: remote data files are not supported: " + std::string(file);
      return nullptr;
    }
    std::string path = resolve_data_path(file, context);
    // An entry takes at least 8 bytes ("1.2.3.4\n"), which bounds the count by the size.
    auto load = core::load_ip_list_file(path, context.max_data_file_bytes / 8 + 1,
                                        context.max_data_file_bytes);
    if (!load.set) {
      error = "@ipMatchFromFile " + path + ": " +
              (load.errors.empty() ? std::string("cannot be loaded") : load.errors[0].to_string());
      return nullptr;
    }
    return std::make_unique<IpMatchOperator>(std::move(load.set));
  }
  if (iequals(name, "rbl") || iequals(name, "geoLookup")) {
    return std::make_unique<UnavailableOperator>();
  }
  return nullptr;
}

}  // namespace rampart::seclang::detail
