#pragma once
// The interface every phase implements. Modules are built from a config snapshot and
// shared read-only by all workers: hooks are const and must be thread-safe.

#include <cstdint>
#include <string_view>
#include <vector>

#include "pipeline/phase.h"
#include "pipeline/request_context.h"

namespace rampart::pipeline {

enum class Outcome : uint8_t {
  kContinue,  // go on to the next module
  kRespond,   // answer with ctx.local_response; later request modules do not run
  kError,     // the module failed; the pipeline applies its fail mode
};

// One counter a module exports on /metrics, e.g. rampart_rule_matches_total{rule="x"}.
struct CounterSample {
  std::string_view metric;
  std::string_view help;
  std::string_view label;  // label name
  std::string_view label_value;
  uint64_t value = 0;
  bool gauge = false;  // a level that goes up and down, not a running total
};

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string_view name() const = 0;
  virtual Phase phase() const = 0;

  // Synchronous on purpose: phases that decide without I/O stay off the coroutine
  // machinery. Modules that need I/O will get an asynchronous hook when one exists.
  virtual Outcome on_request(RequestContext& ctx) const = 0;
  // Request-body inspection. A module that returns a non-zero limit for this request
  // (after its on_request) gets the body through on_request_body before anything is
  // sent upstream: the server buffers up to `limit` bytes (`truncated` if the body was
  // longer) and calls it once, with an empty body for requests without one.
  virtual size_t request_body_limit(const RequestContext& ctx) const { return 0; }
  virtual Outcome on_request_body(RequestContext& ctx, std::string_view body,
                                  bool truncated) const {
    return Outcome::kContinue;
  }

  // Response inspection (the WAF's phases 3 and 4): runs on the response head before it
  // is stored or any of it is sent — the origin's, a cache hit's or a collapsed fetch's.
  // kRespond replaces the response with ctx.local_response (the origin's is dropped).
  virtual bool inspects_response() const { return false; }
  virtual Outcome inspect_response(RequestContext& ctx) const { return Outcome::kContinue; }
  // A module that returns a non-zero limit (after inspect_response) gets the response body
  // through inspect_response_body before any of the response is sent: the server holds
  // up to `limit` body bytes (`truncated` if the body was longer), then sends them and
  // streams the rest. 0 (the usual case): the response streams untouched.
  virtual size_t response_body_limit(const RequestContext& ctx) const { return 0; }
  virtual Outcome inspect_response_body(RequestContext& ctx, std::string_view body,
                                        bool truncated) const {
    return Outcome::kContinue;
  }

  virtual bool wants_response() const { return false; }
  virtual Outcome on_response(RequestContext& ctx) const { return Outcome::kContinue; }
  virtual void on_log(const RequestContext& ctx) const noexcept {}
  virtual void collect_counters(std::vector<CounterSample>& out) const {}
};

}  // namespace rampart::pipeline
