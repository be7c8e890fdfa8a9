#include "modules/ddos/ddos_module.h"

#include <atomic>

#include "modules/ddos/ddos_store.h"
#include "pipeline/extensions.h"

namespace rampart::modules::ddos {
namespace {

using pipeline::ChallengeKind;
using pipeline::Outcome;
using pipeline::RequestContext;

ChallengeKind challenge_of(config::RuleAction action) {
  switch (action) {
    case config::RuleAction::kJsChallenge:
      return ChallengeKind::kJsChallenge;
    case config::RuleAction::kManagedChallenge:
      return ChallengeKind::kManagedChallenge;
    default:
      return ChallengeKind::kChallenge;
  }
}

class DdosModule final : public pipeline::Module {
 public:
  DdosModule(std::vector<std::shared_ptr<SiteDetector>> detectors, std::vector<Settings> settings)
      : detectors_(std::move(detectors)), settings_(std::move(settings)) {
    static std::atomic<uint64_t> generations{0};
    generation_ = generations.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  std::string_view name() const override { return "ddos_l7"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kDdosL7; }

  Outcome on_request(RequestContext& ctx) const override {
    if (ctx.site == nullptr || ctx.site_index >= detectors_.size()) return Outcome::kContinue;
    SiteDetector* d = detectors_[ctx.site_index].get();
    if (d == nullptr) return Outcome::kContinue;
    d->adopt(generation_, settings_[ctx.site_index]);
    if (d->under_attack() && !pipeline::has_valid_clearance(ctx)) {
      d->count_mitigated();
      ctx.challenge = ChallengeKind::kManagedChallenge;
      ctx.challenge_rule = "ddos-under-attack";
      ctx.under_attack = true;  // the bot phase answers its challenge with 503
      ctx.matched_rule("ddos-under-attack");
      ctx.record(name(), "under-attack");
      return Outcome::kContinue;
    }
    if (d->has_mitigations()) {
      if (Mitigation* m = d->match(ctx.facts)) return apply(ctx, *d, *m);
    }
    std::array<char, 48> prefix;
    Sample sample;
    const http::RequestHead& head = ctx.request;
    if (const http::Header* ua = head.find("user-agent")) {
      sample.values[static_cast<size_t>(Dim::kUserAgent)] = ua->value;
    }
    sample.values[static_cast<size_t>(Dim::kPath)] = head.path;
    sample.values[static_cast<size_t>(Dim::kMethod)] = head.method;
    if (ctx.facts.tls && ctx.facts.tls_info != nullptr) {
      sample.values[static_cast<size_t>(Dim::kJa4)] = ctx.facts.tls_info->ja4;
    }
    sample.values[static_cast<size_t>(Dim::kPrefix)] = client_prefix(ctx.client_ip, prefix);
    d->observe(sample);
    return Outcome::kContinue;
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    for (const auto& d : detectors_) {
      if (!d) continue;
      out.push_back({"rampart_ddos_mitigations_started_total",
                     "Mitigation rules the DDoS detector synthesized", "site", d->site(),
                     d->mitigations_started()});
    }
    for (const auto& d : detectors_) {
      if (!d) continue;
      out.push_back({"rampart_ddos_mitigations_active", "Mitigation rules in force now", "site",
                     d->site(), d->active_count(), true});
    }
    for (const auto& d : detectors_) {
      if (!d) continue;
      out.push_back({"rampart_ddos_requests_mitigated_total",
                     "Requests a DDoS mitigation or under-attack mode blocked or challenged",
                     "site", d->site(), d->requests_mitigated()});
    }
  }

 private:
  Outcome apply(RequestContext& ctx, SiteDetector& d, Mitigation& m) const {
    m.matched.fetch_add(1, std::memory_order_relaxed);
    ctx.matched_rule(m.id);
    if (m.action == config::RuleAction::kLog) {
      ctx.record(name(), "ddos-log");
      return Outcome::kContinue;
    }
    d.count_mitigated();
    if (m.action == config::RuleAction::kBlock) {
      ctx.local_response = {};
      ctx.local_response.status = 403;
      ctx.local_response.reason = "ddos";
      ctx.record(name(), "ddos-block");
      return Outcome::kRespond;
    }
    // A visitor who already solved a challenge is not asked again (issue 9's tokens).
    if (pipeline::has_valid_clearance(ctx)) {
      ctx.record(name(), "ddos-cleared");
      return Outcome::kContinue;
    }
    ctx.challenge = challenge_of(m.action);
    ctx.challenge_rule = m.id;
    ctx.record(name(), "ddos-challenge");
    return Outcome::kContinue;
  }

  std::vector<std::shared_ptr<SiteDetector>> detectors_;  // by site index
  std::vector<Settings> settings_;                        // by site index
  uint64_t generation_ = 0;
};

}  // namespace

bool ddos_configured(const config::Config& config) {
  for (const config::Site& s : config.sites) {
    if (s.ddos.configured) return true;
  }
  return false;
}

std::unique_ptr<pipeline::Module> build_ddos_module(const config::Config& config,
                                                    std::vector<config::Diagnostic>& errors) {
  std::vector<std::shared_ptr<SiteDetector>> detectors(config.sites.size());
  std::vector<Settings> settings(config.sites.size());
  for (size_t i = 0; i < config.sites.size(); ++i) {
    const config::Site& site = config.sites[i];
    if (!site.ddos.configured) continue;
    // The learned state stays with the site's name; the settings are adopted by the
    // detector at this snapshot's first request.
    detectors[i] = DdosStore::instance().detector(site.name);
    settings[i] = settings_of(site.ddos);
  }
  return std::make_unique<DdosModule>(std::move(detectors), std::move(settings));
}

}  // namespace rampart::modules::ddos
