#include "modules/bot/verified_bot_module.h"

#include <atomic>
#include <chrono>

#include "feeds/registry.h"
#include "modules/bot/bot_feeds.h"
#include "modules/bot/bot_fields.h"
#include "modules/bot/reverse_dns.h"
#include "modules/bot/web_bot_auth.h"
#include "rules/fields.h"

namespace rampart::modules::bot {
namespace {

enum VerifiedField : size_t { kVerified, kVerifiedName, kVerifiedFields };

const FieldIds<kVerifiedFields>& fields() {
  static const FieldIds<kVerifiedFields> f = register_bot_fields<kVerifiedFields>({{
      {"cf.bot_management.verified_bot", rules::Type::kBool,
       "true when the client is a verified bot (published IP range, forward-confirmed "
       "reverse DNS or a Web Bot Auth signature)"},
      {"rampart.bot.verified_name", rules::Type::kString,
       "the verified bot's name from the config, or \"\""},
  }});
  return f;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (hay.size() < needle.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && std::tolower(static_cast<unsigned char>(hay[i + j])) ==
                                    std::tolower(static_cast<unsigned char>(needle[j])))
      ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

struct Bot {
  std::string name;
  std::string user_agent;
  std::vector<std::string> suffixes;
  std::shared_ptr<feeds::Feed> ranges, keys;
};

enum Method { kIpRange, kReverseDns, kWebBotAuth, kClaimedUnverified, kSignatureRefused, kMethods };
constexpr std::string_view kMethodNames[kMethods] = {"ip_range", "reverse_dns", "web_bot_auth",
                                                     "claimed_unverified", "signature_refused"};

class VerifiedBotModule final : public pipeline::Module {
 public:
  VerifiedBotModule(std::vector<Bot> bots, std::shared_ptr<ReverseDns> dns, SigCheck check)
      : bots_(std::move(bots)), dns_(std::move(dns)), check_(check), fields_(fields()) {}

  std::string_view name() const override { return "verified_bot"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kNormalize; }

  pipeline::Outcome on_request(pipeline::RequestContext& ctx) const override {
    ctx.verified_bot = false;
    ctx.verified_bot_name = {};
    const http::Header* ua_header = ctx.request.find("user-agent");
    std::string_view ua = ua_header != nullptr ? ua_header->value : std::string_view();
    const http::Header* sig_input = ctx.request.find("signature-input");
    const http::Header* sig = ctx.request.find("signature");
    std::optional<ReverseDns::Answer> dns_answer;
    bool claimed = false;
    for (const Bot& bot : bots_) {
      if (bot.keys != nullptr && sig_input != nullptr && sig != nullptr) {
        if (auto keys = bot.keys->get<PublicKeys>()) {
          SigVerdict v = check_signature(ctx, *keys, sig_input->value, sig->value);
          if (v == SigVerdict::kValid) return verified(ctx, bot, kWebBotAuth);
          if (v != SigVerdict::kNone && v != SigVerdict::kUnknownKey) {
            ctx.record(name(), sig_verdict_name(v));
            count(kSignatureRefused);
          }
        }
      }
      // A bot named by a user-agent token is only verified for requests that claim it.
      if (!bot.user_agent.empty()) {
        if (!icontains(ua, bot.user_agent)) continue;
        claimed = true;
      }
      if (bot.ranges != nullptr) {
        auto set = bot.ranges->get<core::IpRangeSet>();
        if (set && set->contains(ctx.client_ip)) return verified(ctx, bot, kIpRange);
      }
      if (!bot.suffixes.empty() && dns_ != nullptr) {
        if (!dns_answer) dns_answer = dns_->lookup(ctx.client_ip);
        if (dns_answer->status == ReverseDns::Status::kConfirmed) {
          for (const std::string& suffix : bot.suffixes) {
            if (host_has_suffix(dns_answer->host, suffix)) return verified(ctx, bot, kReverseDns);
          }
        }
      }
    }
    if (claimed) {
      count(kClaimedUnverified);
      ctx.record(name(), dns_answer && dns_answer->status == ReverseDns::Status::kPending
                             ? "lookup-pending"
                             : "unverified");
    }
    set_fields(ctx);
    return pipeline::Outcome::kContinue;
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    static constexpr std::string_view kMetric = "rampart_verified_bot_total";
    static constexpr std::string_view kHelp =
        "Requests by verified-bot outcome (how they were verified, or why not)";
    for (int m = 0; m < kMethods; ++m)
      out.push_back({kMetric, kHelp, "result", kMethodNames[m], counts_[m].load()});
  }

 private:
  SigVerdict check_signature(const pipeline::RequestContext& ctx, const PublicKeys& keys,
                             std::string_view input, std::string_view signature) const {
    SignedRequest req;
    req.method = ctx.request.method;
    req.scheme = ctx.tls ? "https" : "http";
    req.authority = ctx.request.host;
    req.path = ctx.request.path;
    req.query = ctx.request.query;
    req.signature_input = input;
    req.signature = signature;
    const auto& headers = ctx.request.headers;
    req.header = [&headers](std::string_view lname) -> std::optional<std::string> {
      std::optional<std::string> out;
      for (const http::Header& h : headers) {
        if (!http::iequals(h.name, lname)) continue;
        std::string_view v = h.value;
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        if (out) {
          *out += ", ";
          *out += v;
        } else {
          out.emplace(v);
        }
      }
      return out;
    };
    SigCheck check = check_;
    check.now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    return verify_web_bot_auth(req, keys, check).verdict;
  }

  pipeline::Outcome verified(pipeline::RequestContext& ctx, const Bot& bot, Method how) const {
    ctx.verified_bot = true;
    ctx.verified_bot_name = bot.name;
    count(how);
    ctx.record(name(), kMethodNames[how]);
    set_fields(ctx);
    return pipeline::Outcome::kContinue;
  }

  void set_fields(pipeline::RequestContext& ctx) const {
    set_bot_field(ctx, fields_[kVerified], rules::Value::of_bool(ctx.verified_bot));
    set_bot_field(ctx, fields_[kVerifiedName], rules::Value::of_string(ctx.verified_bot_name));
  }

  void count(Method m) const { counts_[m].fetch_add(1, std::memory_order_relaxed); }

  std::vector<Bot> bots_;
  std::shared_ptr<ReverseDns> dns_;
  SigCheck check_;
  const FieldIds<kVerifiedFields>& fields_;
  mutable std::atomic<uint64_t> counts_[kMethods] = {};
};

}  // namespace

void register_verified_bot_fields() {
  fields();
}

bool verified_bots_configured(const config::Config& config) {
  return !config.bot.verified.bots.empty();
}

std::unique_ptr<pipeline::Module> build_verified_bot_module(const config::Config& config,
                                                            std::vector<config::Diagnostic>&) {
  const config::VerifiedBotSettings& vs = config.bot.verified;
  feeds::Limits limits{vs.feed_limits.max_bytes, vs.feed_limits.max_entries,
                       vs.feed_limits.max_change};
  auto& registry = feeds::Registry::instance();
  std::vector<Bot> bots;
  bool any_dns = false;
  for (const config::VerifiedBot& b : vs.bots) {
    Bot bot{b.name, b.user_agent, b.reverse_dns, nullptr, nullptr};
    // Feeds are data, not config: a bad file is logged and refused by the feed, and the
    // bot is verified by its other means until a good version arrives.
    if (!b.ip_ranges.empty())
      bot.ranges = registry.use("verified_bot." + b.name + ".ip_ranges", b.ip_ranges, limits,
                                &compile_ip_ranges);
    if (!b.web_bot_auth_keys.empty())
      bot.keys = registry.use("verified_bot." + b.name + ".web_bot_auth_keys", b.web_bot_auth_keys,
                              limits, &compile_jwks);
    any_dns |= !b.reverse_dns.empty();
    bots.push_back(std::move(bot));
  }
  std::shared_ptr<ReverseDns> dns;
  if (any_dns) {
    ReverseDnsOptions o;
    o.resolver = vs.reverse_dns.resolver;
    o.timeout = vs.reverse_dns.timeout;
    o.cache_size = vs.reverse_dns.cache_size;
    o.positive_ttl = vs.reverse_dns.positive_ttl;
    o.negative_ttl = vs.reverse_dns.negative_ttl;
    dns = ReverseDns::shared(o);
  }
  SigCheck check;
  check.max_skew = vs.web_bot_auth.max_skew.count() / 1000;
  check.max_validity = vs.web_bot_auth.max_validity.count() / 1000;
  return std::make_unique<VerifiedBotModule>(std::move(bots), std::move(dns), check);
}

}  // namespace rampart::modules::bot
