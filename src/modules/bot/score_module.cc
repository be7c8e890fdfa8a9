#include "modules/bot/score_module.h"

#include <fmt/format.h>

#include <atomic>
#include <iterator>

#include "modules/bot/bot_runtime.h"
#include "modules/bot/score.h"

namespace rampart::modules::bot {
namespace {

struct ScoreFields {
  rules::FieldId score = rules::FieldRegistry::kInvalid;
  rules::FieldId signals = rules::FieldRegistry::kInvalid;
  rules::FieldId failed = rules::FieldRegistry::kInvalid;
};

const ScoreFields& score_fields() {
  static const ScoreFields fields = [] {
    auto& registry = rules::FieldRegistry::global();
    ScoreFields f;
    f.score = registry.add_extension(
        "cf.bot_management.score", rules::Type::kInt,
        "1 (certainly automated) to 99 (certainly human); missing when not computed");
    f.signals = registry.add_extension(
        "rampart.bot.signals", rules::Type::kString,
        "each bot-score signal's points, e.g. \"ua=-45 headers=0 order=0 tls=0 behaviour=0 "
        "clearance=0\"");
    f.failed =
        registry.add_extension("rampart.bot.score_failed", rules::Type::kBool,
                               "true when the bot score could not be computed for this request");
    return f;
  }();
  return fields;
}

bool mentions_score(const config::SourceText& text) {
  return text.text.find("cf.bot_management.score") != std::string::npos ||
         text.text.find("rampart.bot.signals") != std::string::npos ||
         text.text.find("rampart.bot.score_failed") != std::string::npos;
}

template <typename Rules>
bool any_mentions(const Rules& rules) {
  for (const auto& r : rules) {
    if (mentions_score(r.expression)) return true;
  }
  return false;
}

class ScoreModule final : public pipeline::Module {
 public:
  ScoreModule() : fields_(score_fields()) {}

  std::string_view name() const override { return "bot_score"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kNormalize; }

  pipeline::Outcome on_request(pipeline::RequestContext& ctx) const override {
    ScoreInput in;
    in.head = &ctx.request;
    in.tls = ctx.tls;
    in.ja4 =
        ctx.tls && ctx.facts.tls_info != nullptr ? ctx.facts.tls_info->ja4 : std::string_view();
    in.clearance = ctx.clearance;
    in.client = ctx.client_ip;
    in.now = now_seconds();
    std::optional<Signals> signals = compute_signals(in, BehaviourTable::process());
    if (!signals) {
      // No score rather than a made-up one: rules comparing the score see a missing
      // value (false), so a broken scorer never blocks anyone by itself.
      ctx.bot_score.reset();
      set(ctx, fields_.failed, rules::Value::of_bool(true));
      failed_.fetch_add(1, std::memory_order_relaxed);
      return pipeline::Outcome::kError;
    }
    uint8_t score = combine(*signals);
    ctx.bot_score = score;
    // One string per request: the log field's JSON, of which the signals text is a part.
    std::string out;
    out.reserve(112);
    fmt::format_to(std::back_inserter(out), R"({{"score":{},"signals":")", score);
    size_t from = out.size();
    append_signals(out, *signals);
    size_t length = out.size() - from;
    out += "\"}";
    std::string_view json = ctx.keep(std::move(out));
    ctx.facts.extensions.reserve(ctx.facts.extensions.size() + 3);  // one growth, not two
    set(ctx, fields_.score, rules::Value::of_int(score));
    set(ctx, fields_.signals, rules::Value::of_string(json.substr(from, length)));
    set(ctx, fields_.failed, rules::Value::of_bool(false));
    ctx.add_log_field("bot", json);
    (score < 30 ? low_ : score < 70 ? medium_ : high_).fetch_add(1, std::memory_order_relaxed);
    return pipeline::Outcome::kContinue;
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    static constexpr std::string_view kMetric = "rampart_bot_scores_total";
    static constexpr std::string_view kHelp =
        "Requests scored, by band (low < 30 <= medium < 70 <= high), and scoring failures";
    out.push_back({kMetric, kHelp, "band", "low", low_.load(std::memory_order_relaxed)});
    out.push_back({kMetric, kHelp, "band", "medium", medium_.load(std::memory_order_relaxed)});
    out.push_back({kMetric, kHelp, "band", "high", high_.load(std::memory_order_relaxed)});
    out.push_back({kMetric, kHelp, "band", "failed", failed_.load(std::memory_order_relaxed)});
  }

 private:
  static void set(pipeline::RequestContext& ctx, rules::FieldId field, rules::Value value) {
    if (field != rules::FieldRegistry::kInvalid) ctx.facts.set_extension(field, value);
  }

  const ScoreFields& fields_;
  mutable std::atomic<uint64_t> low_{0}, medium_{0}, high_{0}, failed_{0};
};

}  // namespace

void register_score_fields() {
  score_fields();
}

bool score_configured(const config::Config& config) {
  if (bot_configured(config)) return true;
  if (any_mentions(config.firewall.rules) || any_mentions(config.rate_limit.rules)) return true;
  for (const config::Site& site : config.sites) {
    if (any_mentions(site.firewall.rules) || any_mentions(site.rate_limit.rules) ||
        any_mentions(site.cache.rules))
      return true;
  }
  return false;
}

std::unique_ptr<pipeline::Module> build_score_module(const config::Config&,
                                                     std::vector<config::Diagnostic>&) {
  return std::make_unique<ScoreModule>();
}

}  // namespace rampart::modules::bot
