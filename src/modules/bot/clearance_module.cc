#include "modules/bot/clearance_module.h"

#include <fmt/format.h>

#include <atomic>
#include <mutex>

#include "modules/bot/bot_runtime.h"
#include "pipeline/extensions.h"

namespace rampart::modules::bot {

std::shared_ptr<const Runtime> Runtime::from(const config::Config& config) {
  auto rt = std::make_shared<Runtime>();
  rt->settings = config.bot;
  if (config.bot.keys.empty()) {
    rt->keys = KeyRing::process_generated();
  } else {
    std::vector<KeySpec> specs;
    for (const config::BotKey& k : config.bot.keys) specs.push_back({k.id, k.secret});
    rt->keys = std::make_shared<const KeyRing>(specs);
  }
  return rt;
}

bool bot_configured(const config::Config& config) {
  if (config.bot.line > 0) return true;
  auto challenges = [](const auto& rules) {
    for (const auto& r : rules) {
      if (r.action == config::RuleAction::kChallenge ||
          r.action == config::RuleAction::kJsChallenge ||
          r.action == config::RuleAction::kManagedChallenge)
        return true;
    }
    return false;
  };
  if (challenges(config.firewall.rules) || challenges(config.rate_limit.rules)) return true;
  for (const config::Site& site : config.sites) {
    // DDoS mitigation (under-attack mode, challenge mitigations) asks for challenges too.
    if (challenges(site.firewall.rules) || challenges(site.rate_limit.rules) ||
        site.ddos.configured)
      return true;
  }
  return false;
}

std::string_view find_clearance_cookie(const pipeline::RequestContext& ctx) {
  std::string_view name = ctx.tls ? kCookieTls : kCookiePlain;
  for (const http::Header& h : ctx.request.headers) {
    if (h.name.size() != 6 || !http::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=')
        return pair.substr(name.size() + 1);
    }
  }
  return {};
}

std::string clearance_set_cookie(bool tls, std::string_view token, uint32_t max_age) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
                     tls ? kCookieTls : kCookiePlain, token, max_age, tls ? "; Secure" : "");
}

std::string issue_for(const Runtime& rt, const pipeline::RequestContext& ctx, Level level,
                      uint32_t lifetime, const std::array<uint8_t, 8>* keep_id) {
  IssueParams p;
  p.level = level;
  p.now = now_seconds();
  p.lifetime = lifetime;
  p.binding = binding_of(ctx);
  p.network = network_hint(ctx.client_ip);
  if (keep_id != nullptr) {
    p.id = *keep_id;
  } else {
    random_bytes(p.id);
  }
  return issue_token(*rt.keys, p);
}

namespace {

// The runtime of the newest bot_clearance module, for checks made before the pipeline
// runs (overload shedding). Rarely read: only while the server sheds.
std::mutex latest_mu;
std::shared_ptr<const Runtime> latest;

bool clearance_check(const pipeline::RequestContext& ctx) {
  if (ctx.has_clearance()) return true;
  std::shared_ptr<const Runtime> rt;
  {
    std::lock_guard lock(latest_mu);
    rt = latest;
  }
  std::string_view token = find_clearance_cookie(ctx);
  if (rt == nullptr || token.empty()) return false;
  return verify_token(*rt->keys, token, binding_of(ctx), network_hint(ctx.client_ip),
                      now_seconds()) == Verdict::kValid;
}

}  // namespace

const FieldIds<kClearanceFields>& register_fields() {
  static const FieldIds<kClearanceFields> fields = [] {
    // Phases that run before the bot phase (ddos_l7) and overload shedding, which runs
    // before the pipeline, ask through pipeline/extensions.h.
    pipeline::set_clearance_check(&clearance_check);
    return register_bot_fields<kClearanceFields>({{
        {"rampart.bot.clearance", rules::Type::kBool,
         "true when the request carries a valid clearance cookie (a passed challenge)"},
        {"rampart.bot.clearance_level", rules::Type::kString,
         "\"full\" (proof of work), \"low\" (the no-JavaScript step) or \"\" without "
         "clearance"},
        {"rampart.bot.clearance_id", rules::Type::kString,
         "the valid clearance's id (16 hex digits, kept when the cookie is renewed) or \"\": "
         "a rate-limit characteristic that counts per cleared client"},
    }});
  }();
  return fields;
}

namespace {

struct Renewal : pipeline::ModuleState {
  bool renew = false;
  std::array<uint8_t, 8> id{};  // the renewed cookie keeps its id
};

// The token id as the rules see it: fixed-width hex, cheap to key on.
std::string_view id_text(pipeline::RequestContext& ctx, const std::array<uint8_t, 8>& id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::array<char, 16> text;
  for (size_t i = 0; i < id.size(); ++i) {
    text[2 * i] = kDigits[id[i] >> 4];
    text[2 * i + 1] = kDigits[id[i] & 15];
  }
  return ctx.keep_copy({text.data(), text.size()});
}

class ClearanceModule final : public pipeline::Module {
 public:
  explicit ClearanceModule(std::shared_ptr<const Runtime> rt)
      : rt_(std::move(rt)), fields_(register_fields()) {}

  std::string_view name() const override { return "bot_clearance"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kNormalize; }

  pipeline::Outcome on_request(pipeline::RequestContext& ctx) const override {
    std::string_view token = find_clearance_cookie(ctx);
    ctx.clearance = pipeline::ClearanceLevel::kNone;
    TokenInfo info;
    if (!token.empty()) {
      int64_t now = now_seconds();
      Verdict v =
          verify_token(*rt_->keys, token, binding_of(ctx), network_hint(ctx.client_ip), now, &info);
      if (v == Verdict::kValid && info.network_changed &&
          !NetworkSpread::process().admit(info, network_hint(ctx.client_ip), now)) {
        refused_.fetch_add(1, std::memory_order_relaxed);
        ctx.record(name(), "too-many-networks");
      } else if (v == Verdict::kValid) {
        ctx.clearance = info.level == Level::kFull ? pipeline::ClearanceLevel::kFull
                                                   : pipeline::ClearanceLevel::kLow;
        valid_.fetch_add(1, std::memory_order_relaxed);
        // Renewed while in use; the short no-JS clearance is not, by design.
        if (info.level == Level::kFull && now - info.issued_at >= info.lifetime / 2) {
          auto state = std::make_unique<Renewal>();
          state->renew = true;
          state->id = info.id;
          ctx.module_state(phase()) = std::move(state);
        }
      } else {
        refused_.fetch_add(1, std::memory_order_relaxed);
        ctx.record(name(), verdict_name(v));
      }
    }
    bool cleared = ctx.has_clearance();
    set_bot_field(ctx, fields_[kClearance], rules::Value::of_bool(cleared));
    set_bot_field(
        ctx, fields_[kClearanceLevel],
        rules::Value::of_string(!cleared                                           ? ""
                                : ctx.clearance == pipeline::ClearanceLevel::kFull ? "full"
                                                                                   : "low"));
    if (fields_[kClearanceId] != rules::FieldRegistry::kInvalid) {
      set_bot_field(ctx, fields_[kClearanceId],
                    rules::Value::of_string(cleared ? id_text(ctx, info.id) : ""));
    }
    return pipeline::Outcome::kContinue;
  }

  bool wants_response() const override { return true; }

  pipeline::Outcome on_response(pipeline::RequestContext& ctx) const override {
    const auto* state = static_cast<const Renewal*>(ctx.module_state(phase()).get());
    if (state == nullptr || !state->renew || ctx.response_headers == nullptr)
      return pipeline::Outcome::kContinue;
    auto lifetime = static_cast<uint32_t>(rt_->settings.clearance_lifetime.count() / 1000);
    std::string token = issue_for(*rt_, ctx, Level::kFull, lifetime, &state->id);
    ctx.response_headers->push_back(
        {"Set-Cookie", ctx.keep(clearance_set_cookie(ctx.tls, token, lifetime))});
    renewed_.fetch_add(1, std::memory_order_relaxed);
    return pipeline::Outcome::kContinue;
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    static constexpr std::string_view kMetric = "rampart_bot_clearance_total";
    static constexpr std::string_view kHelp = "Clearance cookies checked, by result";
    out.push_back({kMetric, kHelp, "result", "valid", valid_.load(std::memory_order_relaxed)});
    out.push_back({kMetric, kHelp, "result", "refused", refused_.load(std::memory_order_relaxed)});
    out.push_back({kMetric, kHelp, "result", "renewed", renewed_.load(std::memory_order_relaxed)});
  }

 private:
  std::shared_ptr<const Runtime> rt_;
  const FieldIds<kClearanceFields>& fields_;
  mutable std::atomic<uint64_t> valid_{0}, refused_{0}, renewed_{0};
};

}  // namespace

std::unique_ptr<pipeline::Module> build_clearance_module(const config::Config& config,
                                                         std::vector<config::Diagnostic>& errors) {
  auto rt = Runtime::from(config);
  {
    std::lock_guard lock(latest_mu);
    latest = rt;
  }
  return std::make_unique<ClearanceModule>(std::move(rt));
}

}  // namespace rampart::modules::bot
