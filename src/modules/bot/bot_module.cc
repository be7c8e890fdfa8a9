#include "modules/bot/bot_module.h"

#include <atomic>

#include "modules/bot/bot_runtime.h"
#include "modules/bot/challenge.h"
#include "modules/bot/page.h"

namespace rampart::modules::bot {
namespace {

using pipeline::ChallengeKind;
using pipeline::ClearanceLevel;
using pipeline::Outcome;
using pipeline::RequestContext;

constexpr size_t kMaxAnswerBody = 4096;
constexpr size_t kMaxReturn = 2048;

// Kept between on_request and on_request_body for a POST to the reserved path.
struct AnswerState : pipeline::ModuleState {};

// An origin-form path on this site, else "/": the return URL is never an open redirect.
std::string safe_return(std::string_view r) {
  if (r.empty() || r.size() > kMaxReturn || r[0] != '/' || r.starts_with("//") ||
      r.starts_with("/\\") || r.starts_with(kChallengePath))
    return "/";
  for (unsigned char c : r) {
    if (c <= 0x20 || c >= 0x7f) return "/";
  }
  return std::string(r);
}

// A query or form value by name, decoded; empty when missing or badly escaped.
std::string param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      std::string out;
      if (!url_decode(pair.substr(name.size() + 1), out)) return {};
      return out;
    }
  }
  return {};
}

bool is_navigation(const RequestContext& ctx) {
  if (const http::Header* mode = ctx.request.find("sec-fetch-mode"))
    return http::iequals(mode->value, "navigate");
  const http::Header* accept = ctx.request.find("accept");
  return accept != nullptr && accept->value.find("text/html") != std::string_view::npos;
}

bool wants_json(const RequestContext& ctx) {
  const http::Header* accept = ctx.request.find("accept");
  return accept != nullptr && accept->value.find("json") != std::string_view::npos;
}

class BotModule final : public pipeline::Module {
 public:
  explicit BotModule(std::shared_ptr<const Runtime> rt) : rt_(std::move(rt)) {
    const config::BotSettings& s = rt_->settings;
    unsigned k = 0;
    while ((1u << k) < s.puzzles) ++k;
    bits_ = static_cast<uint8_t>(s.difficulty - k);
    puzzles_ = static_cast<uint8_t>(s.puzzles);
    ttl_ = s.challenge_ttl.count() / 1000;
    no_js_delay_ = s.no_js_delay.count() / 1000;
  }

  std::string_view name() const override { return "bot"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kBot; }

  Outcome on_request(RequestContext& ctx) const override {
    if (ctx.request.path == kChallengePath) return reserved(ctx);
    if (ctx.challenge == ChallengeKind::kNone) return Outcome::kContinue;
    PageMode mode = PageMode::kProofOfWork;
    if (ctx.challenge == ChallengeKind::kManagedChallenge && ctx.bot_score) {
      if (*ctx.bot_score >= kPassScore) {
        ctx.challenge = ChallengeKind::kNone;
        ctx.record(name(), "managed-pass");
        return Outcome::kContinue;
      }
      if (*ctx.bot_score >= kNoJsScore && rt_->settings.no_js) mode = PageMode::kNoJs;
    }
    // js_challenge insists on JavaScript: only the proof of work's clearance satisfies it.
    bool js_only = ctx.challenge == ChallengeKind::kJsChallenge;
    ClearanceLevel needed = js_only ? ClearanceLevel::kFull : ClearanceLevel::kLow;
    if (ctx.clearance >= needed) {
      ctx.challenge = ChallengeKind::kNone;
      ctx.record(name(), "cleared");
      return Outcome::kContinue;
    }
    serve(ctx, mode, !js_only && rt_->settings.no_js);
    return Outcome::kRespond;
  }

  size_t request_body_limit(const RequestContext& ctx) const override {
    return ctx.module_state(phase()) != nullptr ? kMaxAnswerBody : 0;
  }

  Outcome on_request_body(RequestContext& ctx, std::string_view body,
                          bool truncated) const override {
    if (ctx.module_state(phase()) == nullptr) return Outcome::kContinue;
    if (truncated) return refuse(ctx, 413, "answer too large");
    std::string challenge = param(body, "c");
    std::string solutions = param(body, "s");
    std::string back = safe_return(param(body, "r"));
    DecodedChallenge decoded;
    int64_t now = now_seconds();
    ChallengeVerdict v = check_challenge(*rt_->keys, challenge, binding_of(ctx),
                                         network_hint(ctx.client_ip), now, ttl_, 0, &decoded);
    if (v == ChallengeVerdict::kValid) v = check_solutions(challenge, decoded, solutions);
    if (v == ChallengeVerdict::kValid &&
        !ReplayGuard::process().first_use(decoded.nonce, decoded.issued_at + ttl_, now))
      v = ChallengeVerdict::kReplayed;
    if (v == ChallengeVerdict::kExpired) return redirect(ctx, back, {});
    if (v != ChallengeVerdict::kValid) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      ctx.record(name(), challenge_verdict_name(v));
      return refuse(ctx, 403, challenge_verdict_name(v));
    }
    passed_pow_.fetch_add(1, std::memory_order_relaxed);
    ctx.record(name(), "passed");
    return grant(ctx, Level::kFull, back);
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    static constexpr std::string_view kMetric = "rampart_bot_challenges_total";
    static constexpr std::string_view kHelp = "Challenges served and answered, by result";
    out.push_back({kMetric, kHelp, "result", "served", served_.load(std::memory_order_relaxed)});
    out.push_back(
        {kMetric, kHelp, "result", "passed_pow", passed_pow_.load(std::memory_order_relaxed)});
    out.push_back(
        {kMetric, kHelp, "result", "passed_no_js", passed_nojs_.load(std::memory_order_relaxed)});
    out.push_back({kMetric, kHelp, "result", "refused", refused_.load(std::memory_order_relaxed)});
  }

 private:
  // The reserved path answers itself, whatever a rule asked for it.
  Outcome reserved(RequestContext& ctx) const {
    ctx.challenge = ChallengeKind::kNone;
    std::string_view method = ctx.request.method;
    if (method == "POST") {
      ctx.module_state(phase()) = std::make_unique<AnswerState>();
      return Outcome::kContinue;  // the answer comes with the body
    }
    if (method != "GET" && method != "HEAD") return refuse(ctx, 405, "method not allowed");
    std::string back = safe_return(param(ctx.request.query, "r"));
    if (!param(ctx.request.query, "check").empty()) {
      // The hop after a grant: the cookie just set must come back, or cookies are blocked
      // and every page would challenge again; say so instead of looping.
      if (ctx.has_clearance()) return redirect(ctx, back, {});
      ctx.record(name(), "cookies-blocked");
      PageParams p = page_params(ctx, PageMode::kCookiesBlocked, back);
      return respond_page(ctx, p, 403);
    }
    std::string challenge = param(ctx.request.query, "nojs");
    if (challenge.empty()) return refuse(ctx, 404, "nothing here");
    if (!rt_->settings.no_js) return refuse(ctx, 403, "no-js step disabled");
    DecodedChallenge decoded;
    int64_t now = now_seconds();
    ChallengeVerdict v =
        check_challenge(*rt_->keys, challenge, binding_of(ctx), network_hint(ctx.client_ip), now,
                        ttl_, no_js_delay_, &decoded);
    if (v == ChallengeVerdict::kValid &&
        !ReplayGuard::process().first_use(decoded.nonce, decoded.issued_at + ttl_, now))
      v = ChallengeVerdict::kReplayed;
    // Too early or expired: back to the page, which issues a new challenge.
    if (v == ChallengeVerdict::kTooEarly || v == ChallengeVerdict::kExpired)
      return redirect(ctx, back, {});
    if (v != ChallengeVerdict::kValid) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      ctx.record(name(), challenge_verdict_name(v));
      return refuse(ctx, 403, challenge_verdict_name(v));
    }
    passed_nojs_.fetch_add(1, std::memory_order_relaxed);
    ctx.record(name(), "passed-no-js");
    return grant(ctx, Level::kLow, back);
  }

  Outcome grant(RequestContext& ctx, Level level, const std::string& back) const {
    const config::BotSettings& s = rt_->settings;
    auto lifetime = static_cast<uint32_t>(
        (level == Level::kFull ? s.clearance_lifetime : s.no_js_lifetime).count() / 1000);
    std::string token = issue_for(*rt_, ctx, level, lifetime);
    std::string check = std::string(kChallengePath) + "?check=1&r=" + url_encode(back);
    return redirect(ctx, check, clearance_set_cookie(ctx.tls, token, lifetime));
  }

  Outcome redirect(RequestContext& ctx, std::string_view location, std::string cookie) const {
    ctx.local_response = {};
    ctx.local_response.status = 303;
    ctx.local_response.location = ctx.keep(std::string(location));
    ctx.local_response.content_type = "text/plain; charset=utf-8";
    ctx.local_response.reason = "challenge";
    ctx.local_response.headers.push_back({"Cache-Control", "no-store"});
    if (!cookie.empty())
      ctx.local_response.headers.push_back({"Set-Cookie", ctx.keep(std::move(cookie))});
    return Outcome::kRespond;
  }

  Outcome refuse(RequestContext& ctx, int status, std::string_view why) const {
    ctx.local_response = {};
    ctx.local_response.status = status;
    ctx.local_response.reason = "challenge";
    ctx.local_response.headers.push_back({"Cache-Control", "no-store"});
    if (wants_json(ctx)) {
      ctx.local_response.content_type = "application/json";
      ctx.local_response.body =
          std::string(R"({"error":"challenge_refused","reason":")") + std::string(why) + "\"}\n";
    } else {
      ctx.local_response.content_type = "text/plain; charset=utf-8";
      ctx.local_response.body = "challenge refused: " + std::string(why) + "\n";
    }
    return Outcome::kRespond;
  }

  PageParams page_params(const RequestContext& ctx, PageMode mode, std::string_view back) const {
    PageParams p;
    p.mode = mode;
    const http::Header* lang = ctx.request.find("accept-language");
    p.lang = pick_language(lang != nullptr ? lang->value : std::string_view());
    const config::BotSettings& s = rt_->settings;
    p.brand_name = !s.brand_name.empty() ? std::string_view(s.brand_name)
                   : ctx.site != nullptr ? std::string_view(ctx.site->name)
                                         : std::string_view("rampart");
    p.brand_color = s.brand_color;
    p.request_id = ctx.request_id;
    p.bits = bits_;
    p.puzzles = puzzles_;
    p.return_to = back;
    p.no_js = s.no_js;
    p.no_js_delay = static_cast<unsigned>(no_js_delay_);
    return p;
  }

  Outcome respond_page(RequestContext& ctx, PageParams& p, int status) const {
    std::array<uint8_t, 16> raw;
    random_bytes(raw);
    std::string nonce = base64url_encode(raw);
    p.nonce = nonce;
    ctx.local_response = {};
    ctx.local_response.status = status;
    ctx.local_response.reason = "challenge";
    ctx.local_response.content_type = "text/html; charset=utf-8";
    ctx.local_response.body = render_page(p);
    auto& h = ctx.local_response.headers;
    h.push_back({"Cache-Control", "no-store"});
    h.push_back({"Content-Security-Policy", ctx.keep(page_csp(nonce))});
    h.push_back({"X-Content-Type-Options", "nosniff"});
    h.push_back({"Referrer-Policy", "same-origin"});
    h.push_back({"Content-Language", p.lang});
    h.push_back({"Vary", "Accept-Language"});
    if (status == 503) h.push_back({"Retry-After", "30"});
    return Outcome::kRespond;
  }

  void serve(RequestContext& ctx, PageMode mode, bool offer_no_js) const {
    served_.fetch_add(1, std::memory_order_relaxed);
    ctx.record(name(), "challenge");
    int status = ctx.under_attack ? 503 : 403;
    if (!is_navigation(ctx)) {
      ShortAnswer a = short_answer(wants_json(ctx), ctx.request_id, ctx.under_attack);
      ctx.local_response = {};
      ctx.local_response.status = status;
      ctx.local_response.reason = "challenge";
      ctx.local_response.content_type = std::move(a.content_type);
      ctx.local_response.body = std::move(a.body);
      ctx.local_response.headers.push_back({"Cache-Control", "no-store"});
      if (status == 503) ctx.local_response.headers.push_back({"Retry-After", "30"});
      return;
    }
    std::string_view target = ctx.request.target;
    std::string back = safe_return(target);
    ChallengeParams cp;
    cp.bits = bits_;
    cp.puzzles = puzzles_;
    cp.now = now_seconds();
    cp.binding = binding_of(ctx);
    cp.network = network_hint(ctx.client_ip);
    random_bytes(cp.nonce);
    std::string challenge = issue_challenge(*rt_->keys, cp);
    PageParams p = page_params(ctx, mode, back);
    p.challenge = challenge;
    p.no_js = offer_no_js;
    respond_page(ctx, p, status);
  }

  std::shared_ptr<const Runtime> rt_;
  uint8_t bits_ = 15;
  uint8_t puzzles_ = 8;
  int64_t ttl_ = 300;
  int64_t no_js_delay_ = 5;
  mutable std::atomic<uint64_t> served_{0}, passed_pow_{0}, passed_nojs_{0}, refused_{0};
};

}  // namespace

std::unique_ptr<pipeline::Module> build_bot_module(const config::Config& config,
                                                   std::vector<config::Diagnostic>& errors) {
  return std::make_unique<BotModule>(Runtime::from(config));
}

}  // namespace rampart::modules::bot
