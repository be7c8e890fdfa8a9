#include "modules/ddos/detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/log.h"
#include "modules/ddos/rule_synth.h"
#include "rules/evaluator.h"

namespace rampart::modules::ddos {
namespace {

// A value must carry this much of the excess traffic to be part of the fingerprint:
// the attack concentrates on it, legitimate traffic does not explain it.
constexpr double kExcessShare = 0.8;
// A value this rare in the baseline is "never seen before".
constexpr double kNewValueShare = 0.01;
// A mitigation whose matches fall under this fraction of their peak counts as calm.
constexpr double kCalmFraction = 0.05;
constexpr int64_t kRetireAfterMs = 30'000;
constexpr size_t kHistory = 16;

std::string_view dim_name(Dim d) {
  static constexpr std::array<std::string_view, kDims> kNames = {"user_agent", "path", "method",
                                                                 "ja4", "client_prefix"};
  return kNames[static_cast<size_t>(d)];
}

std::string_view action_name(config::RuleAction a) {
  switch (a) {
    case config::RuleAction::kBlock:
      return "block";
    case config::RuleAction::kJsChallenge:
      return "js_challenge";
    case config::RuleAction::kManagedChallenge:
      return "managed_challenge";
    case config::RuleAction::kLog:
      return "log";
    default:
      return "challenge";
  }
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

size_t shard_index() {
  static std::atomic<size_t> next{0};
  thread_local size_t index = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return index;
}

std::string mitigation_json(const Mitigation& m, int64_t now_ms, int64_t withdrawn_unix) {
  std::string out = "{\"id\":" + json_string(m.id) + ",\"rule\":" + json_string(m.rule) +
                    ",\"action\":\"" + std::string(action_name(m.action)) + "\",\"confidence\":\"" +
                    (m.high_confidence ? "high" : "normal") + "\",\"fingerprint\":{";
  for (size_t i = 0; i < m.fingerprint.size(); ++i) {
    if (i) out += ",";
    out += "\"" + std::string(dim_name(m.fingerprint[i].dim)) +
           "\":" + json_string(m.fingerprint[i].value);
  }
  out += fmt::format(
      "}},\"started\":{},\"age_s\":{:.1f},\"trigger_rate\":{:.1f},\"baseline_rate\":{:.1f},"
      "\"requests_mitigated\":{}",
      m.started_unix, static_cast<double>(now_ms - m.started_ms) / 1000.0, m.trigger_rate,
      m.baseline_rate, m.matched.load(std::memory_order_relaxed));
  if (withdrawn_unix != 0) out += fmt::format(",\"withdrawn\":{}", withdrawn_unix);
  out += "}";
  return out;
}

}  // namespace

std::string_view client_prefix(const core::IpAddress& ip, std::array<char, 48>& buf) {
  const auto& b = ip.bytes;
  if (ip.v4) {
    // By hand: this runs for every request, and snprintf costs more than the rest.
    char* p = buf.data();
    for (int i = 12; i < 15; ++i) {
      unsigned v = b[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
      *p++ = '.';
    }
    std::memcpy(p, "0/24", 4);
    return {buf.data(), static_cast<size_t>(p + 4 - buf.data())};
  }
  int n = std::snprintf(buf.data(), buf.size(), "%x:%x:%x:%x::/64", (b[0] << 8) | b[1],
                        (b[2] << 8) | b[3], (b[4] << 8) | b[5], (b[6] << 8) | b[7]);
  return {buf.data(), n > 0 ? static_cast<size_t>(n) : 0};
}

Settings settings_of(const config::SiteDdos& ddos) {
  Settings s;
  s.sensitivity = ddos.sensitivity;
  s.action = ddos.action;
  s.block_high_confidence = ddos.block_high_confidence;
  s.under_attack = ddos.under_attack;
  s.min_rate = ddos.min_rate;
  s.learning_period_ms = ddos.learning_period.count();
  s.baseline_window_ms = ddos.baseline_window.count();
  s.withdraw_after_ms = ddos.withdraw_after.count();
  return s;
}

double rate_factor(config::DdosSensitivity sensitivity) {
  switch (sensitivity) {
    case config::DdosSensitivity::kHigh:
      return 2.5;
    case config::DdosSensitivity::kMedium:
      return 4;
    case config::DdosSensitivity::kLow:
      return 8;
    case config::DdosSensitivity::kOff:
      return 0;
  }
  return 0;
}

SiteDetector::SiteDetector(std::string site) : site_(std::move(site)) {
  owned_.resize(kMaxActive);
}

SiteDetector::~SiteDetector() = default;

void SiteDetector::configure(const Settings& settings) {
  std::lock_guard lock(mutex_);
  settings_ = settings;
  under_attack_config_.store(settings.under_attack, std::memory_order_relaxed);
}

void SiteDetector::adopt_slow(uint64_t generation, const Settings& settings) {
  std::lock_guard lock(mutex_);
  if (generation <= generation_.load(std::memory_order_relaxed)) return;
  settings_ = settings;
  under_attack_config_.store(settings.under_attack, std::memory_order_relaxed);
  generation_.store(generation, std::memory_order_release);
}

Settings SiteDetector::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

bool SiteDetector::under_attack() const {
  int o = under_attack_override_.load(std::memory_order_relaxed);
  return o < 0 ? under_attack_config_.load(std::memory_order_relaxed) : o == 1;
}

void SiteDetector::observe(const Sample& sample) {
  Shard& shard = shards_[shard_index()];
  std::lock_guard lock(shard.mutex);
  ++shard.total;
  for (size_t d = 0; d < kDims; ++d) {
    std::string_view v = sample.values[d];
    if (v.empty()) continue;
    shard.dims[d].add(v, hash_value(v));
  }
}

Mitigation* SiteDetector::match(const rules::Request& facts) const {
  for (const auto& slot : slots_) {
    Mitigation* m = slot.load(std::memory_order_acquire);
    if (m == nullptr) continue;
    rules::EvalState state(facts, m->slots);
    if (rules::matches(*m->program, state)) return m;
  }
  return nullptr;
}

void SiteDetector::collect(Window& window) {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    window.total += shard.total;
    shard.total = 0;
    for (size_t d = 0; d < kDims; ++d) {
      for (size_t i = 0; i < shard.dims[d].size(); ++i) window.dims[d].add_item(shard.dims[d][i]);
      shard.dims[d].clear();
    }
  }
}

std::vector<FingerprintPart> SiteDetector::fingerprint(const Window& window, double seconds,
                                                       double rate) const {
  std::vector<FingerprintPart> parts;
  double excess_total = rate - baseline_rate_;
  if (excess_total <= 0) return parts;
  for (size_t d = 0; d < kDims; ++d) {
    std::optional<TopKItem> top = window.dims[d].top();
    if (!top || top->value.empty()) continue;
    double value_rate = static_cast<double>(top->guaranteed()) / seconds;
    double base_share = shares_[d].share(top->hash);
    double excess = value_rate - base_share * baseline_rate_;
    if (excess < kExcessShare * excess_total) continue;
    // Over-represented: far more of the traffic than in the baseline. A value most of
    // the usual traffic has (GET, the one office network) says nothing of the attack.
    if (value_rate / rate < 2 * base_share) continue;
    parts.push_back({static_cast<Dim>(d), std::string(top->value), top->truncated, base_share});
  }
  return parts;
}

void SiteDetector::start_mitigation(std::vector<FingerprintPart> parts, double rate,
                                    int64_t now_ms) {
  std::string text = rule_text(parts);
  for (const auto& m : owned_) {
    if (m && m->rule == text) return;  // already mitigated
  }
  size_t slot = 0;
  while (slot < kMaxActive && owned_[slot]) ++slot;
  if (slot == kMaxActive) return;
  auto m = std::make_unique<Mitigation>();
  std::string error;
  if (!compile_rule(text, *m, error)) {
    // The synthesizer writes only what the compiler accepts; reaching this is a bug,
    // but one that must not take the site down: no mitigation, a loud log line.
    core::log(core::LogLevel::kError, "ddos: site {}: synthesized rule does not compile ({}): {}",
              site_, error, text);
    return;
  }
  bool all_new = parts.size() >= 2;
  for (const FingerprintPart& p : parts) all_new = all_new && p.baseline_share < kNewValueShare;
  m->high_confidence = all_new;
  m->action = settings_.action;
  if (all_new && settings_.block_high_confidence && settings_.action != config::RuleAction::kLog) {
    m->action = config::RuleAction::kBlock;
  }
  m->id = fmt::format("ddos-{}-{}", site_, next_id_++);
  m->rule = std::move(text);
  m->fingerprint = std::move(parts);
  m->started_ms = now_ms;
  m->started_unix = unix_now();
  m->trigger_rate = rate;
  m->baseline_rate = baseline_rate_;
  m->peak_rate = rate;
  core::log(core::LogLevel::kWarn,
            "ddos: site {}: {:.0f} requests/s against a baseline of {:.0f}/s; mitigation {} "
            "({}, {} confidence): {}",
            site_, rate, baseline_rate_, m->id, action_name(m->action),
            m->high_confidence ? "high" : "normal", m->rule);
  owned_[slot] = std::move(m);
  slots_[slot].store(owned_[slot].get(), std::memory_order_release);
  active_count_.fetch_add(1, std::memory_order_acq_rel);
  started_.fetch_add(1, std::memory_order_relaxed);
}

void SiteDetector::withdraw(size_t slot, int64_t now_ms) {
  std::unique_ptr<Mitigation>& m = owned_[slot];
  slots_[slot].store(nullptr, std::memory_order_release);
  active_count_.fetch_sub(1, std::memory_order_acq_rel);
  core::log(core::LogLevel::kWarn,
            "ddos: site {}: mitigation {} withdrawn after {:.0f}s, {} requests mitigated: {}",
            site_, m->id, static_cast<double>(now_ms - m->started_ms) / 1000.0,
            m->matched.load(std::memory_order_relaxed), m->rule);
  history_.push_back(mitigation_json(*m, now_ms, unix_now()));
  if (history_.size() > kHistory) history_.pop_front();
  retired_.emplace_back(now_ms, std::move(m));
}

void SiteDetector::review_mitigations(double seconds, int64_t now_ms) {
  int64_t elapsed_ms = static_cast<int64_t>(seconds * 1000);
  for (size_t slot = 0; slot < kMaxActive; ++slot) {
    Mitigation* m = owned_[slot].get();
    if (m == nullptr) continue;
    uint64_t matched = m->matched.load(std::memory_order_relaxed);
    double rate = static_cast<double>(matched - m->seen_matched) / seconds;
    m->seen_matched = matched;
    m->peak_rate = std::max(m->peak_rate, rate);
    if (rate <= m->peak_rate * kCalmFraction) {
      m->calm_ms += elapsed_ms;
    } else {
      m->calm_ms = 0;
    }
    if (m->calm_ms >= settings_.withdraw_after_ms) withdraw(slot, now_ms);
  }
  while (!retired_.empty() && now_ms - retired_.front().first > kRetireAfterMs) {
    retired_.pop_front();
  }
}

void SiteDetector::advance(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (last_tick_ms_ < 0) {
    last_tick_ms_ = now_ms;
    Window discard;
    collect(discard);
    return;
  }
  if (now_ms - last_tick_ms_ < 1000) return;
  double seconds = static_cast<double>(now_ms - last_tick_ms_) / 1000.0;
  last_tick_ms_ = now_ms;
  auto window = std::make_unique<Window>();
  collect(*window);
  double rate = static_cast<double>(window->total) / seconds;
  current_rate_ = rate;
  review_mitigations(seconds, now_ms);

  double factor = rate_factor(settings_.sensitivity);
  if (factor == 0) return;  // sensitivity off: neither learning nor detecting
  double threshold = std::max(factor * baseline_rate_, settings_.min_rate);
  bool learned = learned_ms_ >= settings_.learning_period_ms;
  if (learned && rate > threshold) {
    std::vector<FingerprintPart> parts = fingerprint(*window, seconds, rate);
    if (!parts.empty()) {
      start_mitigation(std::move(parts), rate, now_ms);
    } else if (now_ms - last_unmatched_log_ms_ >= 30'000) {
      last_unmatched_log_ms_ = now_ms;
      core::log(core::LogLevel::kWarn,
                "ddos: site {}: {:.0f} requests/s against a baseline of {:.0f}/s, but no "
                "fingerprint stands out; consider under-attack mode",
                site_, rate, baseline_rate_);
    }
    return;  // an attack is not the baseline
  }
  // Calm (or still learning below the floor): the traffic is the baseline.
  double alpha = std::min(
      1.0, static_cast<double>(seconds * 1000) / static_cast<double>(settings_.baseline_window_ms));
  if (learned_ms_ == 0) {
    baseline_rate_ = rate;
    alpha = 1.0;
  } else {
    baseline_rate_ += alpha * (rate - baseline_rate_);
  }
  for (size_t d = 0; d < kDims; ++d) shares_[d].learn(window->dims[d], window->total, alpha);
  learned_ms_ += static_cast<int64_t>(seconds * 1000);
}

std::vector<std::string> SiteDetector::active_rules() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& m : owned_) {
    if (m) out.push_back(m->rule);
  }
  return out;
}

double SiteDetector::baseline_rate() const {
  std::lock_guard lock(mutex_);
  return baseline_rate_;
}

std::string SiteDetector::to_json(int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  int o = under_attack_override_.load();
  std::string out = fmt::format(
      "{{\"site\":{},\"sensitivity\":\"{}\",\"under_attack\":{},\"under_attack_source\":\"{}\","
      "\"baseline_rate\":{:.1f},\"current_rate\":{:.1f},\"learned_s\":{:.0f},"
      "\"learning\":{},\"mitigations_started\":{},\"requests_mitigated\":{},\"mitigations\":[",
      json_string(site_),
      std::array<std::string_view, 4>{"off", "low", "medium",
                                      "high"}[static_cast<size_t>(settings_.sensitivity)],
      under_attack() ? "true" : "false", o < 0 ? "config" : "admin", baseline_rate_, current_rate_,
      static_cast<double>(learned_ms_) / 1000.0,
      learned_ms_ < settings_.learning_period_ms ? "true" : "false", started_.load(),
      mitigated_.load());
  bool first = true;
  for (const auto& m : owned_) {
    if (!m) continue;
    if (!first) out += ",";
    first = false;
    out += mitigation_json(*m, now_ms, 0);
  }
  out += "],\"withdrawn\":[";
  for (size_t i = 0; i < history_.size(); ++i) {
    if (i) out += ",";
    out += history_[i];
  }
  out += "]}";
  return out;
}

}  // namespace rampart::modules::ddos
