#include "modules/transform/transform_module.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace rampart::modules::transform {

namespace {

using pipeline::Outcome;
using pipeline::RequestContext;

void remove_all(std::vector<http::Header>& headers, std::string_view name) {
  std::erase_if(headers, [&](const http::Header& h) { return http::iequals(h.name, name); });
}

class TransformModule final : public pipeline::Module {
 public:
  explicit TransformModule(const config::Config& config) {
    for (const config::Site& site : config.sites) {
      has_response_rules_ =
          has_response_rules_ || !site.response_headers.empty() || site.tls.hsts.enabled;
      hsts_.push_back(site.tls.hsts.enabled ? hsts_value(site.tls.hsts) : std::string());
    }
  }

  std::string_view name() const override { return "transform"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kTransform; }
  bool wants_response() const override { return has_response_rules_; }

  Outcome on_request(RequestContext& ctx) const override {
    const config::Site* site = ctx.site;
    if (site == nullptr) return Outcome::kContinue;
    if (!ctx.tls && site->tls.https_redirect) {
      respond_https_redirect(site->tls.https_port, ctx);
      return Outcome::kRespond;
    }
    for (const config::Redirect& redirect : site->redirects) {
      if (redirect_matches(redirect, ctx.request.path)) {
        respond_redirect(redirect, ctx);
        return Outcome::kRespond;
      }
    }
    if (!site->request_headers.empty()) {
      apply_header_rules(site->request_headers, ctx.upstream_headers);
      ctx.record(name(), "request-headers");
    }
    return Outcome::kContinue;
  }

  Outcome on_response(RequestContext& ctx) const override {
    if (ctx.site == nullptr || ctx.response_headers == nullptr) return Outcome::kContinue;
    if (!ctx.site->response_headers.empty()) {
      apply_header_rules(ctx.site->response_headers, *ctx.response_headers);
    }
    // RFC 6797 §7.2: Strict-Transport-Security only on responses that came over TLS.
    if (ctx.tls && ctx.site_index < hsts_.size() && !hsts_[ctx.site_index].empty()) {
      remove_all(*ctx.response_headers, "strict-transport-security");
      ctx.response_headers->push_back({"Strict-Transport-Security", hsts_[ctx.site_index]});
    }
    return Outcome::kContinue;
  }

 private:
  static std::string hsts_value(const config::Hsts& hsts) {
    std::string value =
        "max-age=" +
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(hsts.max_age).count());
    if (hsts.include_subdomains) value += "; includeSubDomains";
    if (hsts.preload) value += "; preload";
    return value;
  }

  // Plain HTTP to a site that wants HTTPS: the same URL on https (RFC 9110 §15.4.2: 301;
  // browsers keep the method for GET and HEAD, which is what this is for).
  void respond_https_redirect(uint16_t port, RequestContext& ctx) const {
    std::string_view host = ctx.request.host;
    if (size_t colon = host.rfind(':');
        colon != std::string_view::npos && host.find(']', colon) == std::string_view::npos) {
      host = host.substr(0, colon);  // the plain listener's port is not the TLS one
    }
    std::string location = "https://";
    location.append(host);
    if (port != 443) location.append(":").append(std::to_string(port));
    location.append(ctx.request.target.empty() || ctx.request.target.front() != '/'
                        ? std::string_view("/")
                        : ctx.request.target);
    ctx.local_response = {};
    ctx.local_response.status = 301;
    ctx.local_response.location = std::move(location);
    ctx.local_response.reason = "redirect to https";
    ctx.record(name(), "https-redirect");
  }

  static bool redirect_matches(const config::Redirect& redirect, std::string_view path) {
    if (redirect.prefix) return path.starts_with(redirect.from);
    return path == redirect.from;
  }

  void respond_redirect(const config::Redirect& redirect, RequestContext& ctx) const {
    std::string location = redirect.to;
    if (redirect.prefix) {
      std::string_view rest = ctx.request.path.substr(redirect.from.size());
      if (!location.empty() && location.back() == '/' && rest.starts_with('/')) {
        rest.remove_prefix(1);
      }
      location.append(rest);
    }
    if (redirect.keep_query && !ctx.request.query.empty()) {
      location.push_back(location.find('?') == std::string::npos ? '?' : '&');
      location.append(ctx.request.query);
    }
    ctx.local_response = {};
    ctx.local_response.status = redirect.status;
    ctx.local_response.location = std::move(location);
    ctx.local_response.reason = "redirect";
    ctx.record(name(), "redirect");
  }

  bool has_response_rules_ = false;
  std::vector<std::string> hsts_;  // by site index; empty: no HSTS
};

}  // namespace

void apply_header_rules(const std::vector<config::HeaderRule>& rules,
                        std::vector<http::Header>& headers) {
  for (const config::HeaderRule& rule : rules) {
    switch (rule.op) {
      case config::HeaderOp::kSet:
        remove_all(headers, rule.name);
        headers.push_back({rule.name, rule.value});
        break;
      case config::HeaderOp::kAdd:
        headers.push_back({rule.name, rule.value});
        break;
      case config::HeaderOp::kRemove:
        remove_all(headers, rule.name);
        break;
    }
  }
}

std::unique_ptr<pipeline::Module> build_transform_module(const config::Config& config,
                                                         std::vector<config::Diagnostic>&) {
  return std::make_unique<TransformModule>(config);
}

}  // namespace rampart::modules::transform
