#include "modules/bot/score_module.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>

#include "modules/bot/bot_fields.h"
#include "modules/bot/bot_runtime.h"
#include "modules/bot/score.h"

namespace rampart::modules::bot {
namespace {

enum ScoreField : size_t { kScore, kSignals, kFailed, kScoreFields };

const FieldIds<kScoreFields>& score_fields() {
  static const FieldIds<kScoreFields> fields = register_bot_fields<kScoreFields>({{
      {"cf.bot_management.score", rules::Type::kInt,
       "1 (certainly automated) to 99 (certainly human); missing when not computed"},
      {"rampart.bot.signals", rules::Type::kString,
       "each bot-score signal's points, e.g. \"ua=-45 headers=0 order=0 tls=0 behaviour=0 "
       "clearance=0\""},
      {"rampart.bot.score_failed", rules::Type::kBool,
       "true when the bot score could not be computed for this request"},
  }});
  return fields;
}

template <typename Rules>
bool any_mentions(const Rules& rules, std::string_view name) {
  for (const auto& r : rules) {
    if (r.expression.text.find(name) != std::string::npos) return true;
  }
  return false;
}

// Whether any rule of the config names the field.
bool config_mentions(const config::Config& config, std::string_view name) {
  if (any_mentions(config.firewall.rules, name) || any_mentions(config.rate_limit.rules, name))
    return true;
  for (const config::Site& site : config.sites) {
    if (any_mentions(site.firewall.rules, name) || any_mentions(site.rate_limit.rules, name) ||
        any_mentions(site.cache.rules, name))
      return true;
  }
  return false;
}

class ScoreModule final : public pipeline::Module {
 public:
  explicit ScoreModule(bool describe) : fields_(score_fields()), describe_(describe) {}

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
      set_bot_field(ctx, fields_[kFailed], rules::Value::of_bool(true));
      failed_.fetch_add(1, std::memory_order_relaxed);
      return pipeline::Outcome::kError;
    }
    uint8_t score = combine(*signals);
    ctx.bot_score = score;
    set_bot_field(ctx, fields_[kScore], rules::Value::of_int(score));
    set_bot_field(ctx, fields_[kFailed], rules::Value::of_bool(false));
    if (describe_) describe(ctx, score, *signals);
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
  // The access log's `bot` field, of which the signals text is a part: one text, kept
  // in the request's own storage.
  void describe(pipeline::RequestContext& ctx, uint8_t score, const Signals& s) const {
    std::array<char, 192> text;
    auto end = fmt::format_to_n(text.data(), text.size(),
                                R"({{"score":{},"signals":"ua={} headers={} order={} tls={} )"
                                R"(behaviour={} clearance={}"}})",
                                score, s.ua, s.headers, s.order, s.tls, s.behaviour, s.clearance);
    std::string_view json = ctx.keep_copy({text.data(), std::min(end.size, text.size())});
    size_t from = json.find(":\"") + 2;
    set_bot_field(ctx, fields_[kSignals],
                  rules::Value::of_string(json.substr(from, json.size() - from - 2)));
    ctx.add_log_field("bot", json);
  }

  const FieldIds<kScoreFields>& fields_;
  // Whether anyone reads the signals text (the access log, a rule naming
  // rampart.bot.signals); without a reader it is not formatted.
  bool describe_;
  mutable std::atomic<uint64_t> low_{0}, medium_{0}, high_{0}, failed_{0};
};

}  // namespace

void register_score_fields() {
  score_fields();
}

bool score_configured(const config::Config& config) {
  if (bot_configured(config)) return true;
  for (std::string_view name :
       {"cf.bot_management.score", "rampart.bot.signals", "rampart.bot.score_failed"}) {
    if (config_mentions(config, name)) return true;
  }
  return false;
}

std::unique_ptr<pipeline::Module> build_score_module(const config::Config& config,
                                                     std::vector<config::Diagnostic>&) {
  bool describe = config.access_log.path != "off" || config_mentions(config, "rampart.bot.signals");
  return std::make_unique<ScoreModule>(describe);
}

}  // namespace rampart::modules::bot
