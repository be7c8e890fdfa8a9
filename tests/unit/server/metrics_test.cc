// Prometheus exposition: per-worker slots summed at scrape, cumulative histogram
// buckets, the config version gauge, label escaping.

// metrics.h uses std::unique_ptr without including <memory> (reported); this include
// lets the test build until the header is self-contained.
#include <memory>

#include "server/metrics.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using rampart::server::kLatencyBuckets;
using rampart::server::Metrics;

std::string render(const Metrics& m, std::string_view version = "v1") {
  std::string out;
  m.render(out, version);
  return out;
}

bool has_line(const std::string& text, std::string_view line) {
  std::string needle = "\n" + std::string(line) + "\n";
  return ("\n" + text).find(needle) != std::string::npos;
}

std::vector<std::string> lines_starting_with(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (line.starts_with(prefix)) out.emplace_back(line);
    pos = end + 1;
  }
  return out;
}

TEST(Metrics, RequestsAreSummedAcrossWorkerSlots) {
  Metrics m(2);
  auto* shop = m.site("shop");
  shop->count(0, 200);
  shop->count(0, 204);
  shop->count(1, 201);
  shop->count(1, 404);
  shop->count(0, 503);
  shop->count(1, 502);
  shop->count(1, 599);
  std::string text = render(m);
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"shop\",code_class=\"2xx\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"shop\",code_class=\"4xx\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"shop\",code_class=\"5xx\"} 3")) << text;
  // Classes never seen are left out, except 2xx which is always present.
  EXPECT_EQ(text.find("code_class=\"1xx\""), std::string::npos) << text;
  EXPECT_EQ(text.find("code_class=\"3xx\""), std::string::npos) << text;
  EXPECT_EQ(text.find("code_class=\"other\""), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, "# TYPE rampart_requests_total counter")) << text;
}

TEST(Metrics, OutOfRangeStatusesCountAsOther) {
  Metrics m(1);
  auto* s = m.site("x");
  s->count(0, 0);
  s->count(0, 99);
  s->count(0, 600);
  s->count(0, 101);
  std::string text = render(m);
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"x\",code_class=\"other\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"x\",code_class=\"1xx\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"x\",code_class=\"2xx\"} 0")) << text;
}

TEST(Metrics, SiteCountersAreStablePerName) {
  Metrics m(2);
  auto* a = m.site("a");
  auto* b = m.site("b");
  EXPECT_NE(a, b);
  EXPECT_EQ(m.site("a"), a);
  for (int i = 0; i < 50; ++i) m.site("s" + std::to_string(i));
  EXPECT_EQ(m.site("a"), a);  // earlier pointers survive later additions
  a->count(1, 200);
  std::string text = render(m);
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"a\",code_class=\"2xx\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "rampart_requests_total{site=\"b\",code_class=\"2xx\"} 0")) << text;
}

TEST(Metrics, HistogramBucketsAreCumulativeAndCountMatches) {
  Metrics m(2);
  m.observe_latency(0, 0.0001);  // <= 0.0005
  m.observe_latency(1, 0.0005);  // le is inclusive: still the first bucket
  m.observe_latency(0, 0.003);   // <= 0.005
  m.observe_latency(1, 0.2);     // <= 0.25
  m.observe_latency(0, 0.2);     // <= 0.25
  m.observe_latency(1, 7.0);     // +Inf only
  std::string text = render(m);
  auto buckets = lines_starting_with(text, "rampart_request_duration_seconds_bucket{");
  ASSERT_EQ(buckets.size(), kLatencyBuckets.size() + 1) << text;
  const std::vector<std::string> expected = {
      "rampart_request_duration_seconds_bucket{le=\"0.0005\"} 2",
      "rampart_request_duration_seconds_bucket{le=\"0.001\"} 2",
      "rampart_request_duration_seconds_bucket{le=\"0.0025\"} 2",
      "rampart_request_duration_seconds_bucket{le=\"0.005\"} 3",
      "rampart_request_duration_seconds_bucket{le=\"0.01\"} 3",
      "rampart_request_duration_seconds_bucket{le=\"0.025\"} 3",
      "rampart_request_duration_seconds_bucket{le=\"0.05\"} 3",
      "rampart_request_duration_seconds_bucket{le=\"0.1\"} 3",
      "rampart_request_duration_seconds_bucket{le=\"0.25\"} 5",
      "rampart_request_duration_seconds_bucket{le=\"0.5\"} 5",
      "rampart_request_duration_seconds_bucket{le=\"1\"} 5",
      "rampart_request_duration_seconds_bucket{le=\"5\"} 5",
      "rampart_request_duration_seconds_bucket{le=\"+Inf\"} 6",
  };
  EXPECT_EQ(buckets, expected) << text;
  EXPECT_TRUE(has_line(text, "rampart_request_duration_seconds_count 6")) << text;
  auto sum = lines_starting_with(text, "rampart_request_duration_seconds_sum ");
  ASSERT_EQ(sum.size(), 1u) << text;
  double value = std::stod(sum[0].substr(sum[0].find(' ') + 1));
  EXPECT_NEAR(value, 0.0001 + 0.0005 + 0.003 + 0.2 + 0.2 + 7.0, 1e-5) << sum[0];
  EXPECT_TRUE(has_line(text, "# TYPE rampart_request_duration_seconds histogram")) << text;
}

TEST(Metrics, EmptyHistogramIsAllZero) {
  Metrics m(1);
  std::string text = render(m);
  EXPECT_TRUE(has_line(text, "rampart_request_duration_seconds_bucket{le=\"+Inf\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "rampart_request_duration_seconds_count 0")) << text;
  EXPECT_TRUE(has_line(text, "rampart_request_duration_seconds_sum 0")) << text;
}

TEST(Metrics, ConfigVersionInfo) {
  Metrics m(1);
  std::string text = render(m, "v");
  EXPECT_TRUE(has_line(text, "rampart_config_version_info{version=\"v\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE rampart_config_version_info gauge")) << text;
  EXPECT_TRUE(text.ends_with("rampart_config_version_info{version=\"v\"} 1\n")) << text;
}

TEST(Metrics, RolloutStageAndCounters) {
  Metrics m(1);
  std::string text = render(m, "v");
  EXPECT_EQ(text.find("rampart_config_rollout_stage{"), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, "rampart_config_rollout_rollbacks_total{source=\"fleet\"} 0"));
  m.set_rollout_stage("v2", "canary");
  m.set_rollout_stage("v3", "waiting");
  m.rollout_rollbacks_fleet.fetch_add(1);
  m.rollout_nodes_gone.fetch_add(2);
  text = render(m, "v");
  EXPECT_TRUE(has_line(text, "rampart_config_rollout_stage{version=\"v3\",stage=\"waiting\"} 1"))
      << text;
  EXPECT_EQ(text.find("version=\"v2\""), std::string::npos) << text;
  EXPECT_TRUE(has_line(text, "rampart_config_rollout_rollbacks_total{source=\"fleet\"} 1"));
  EXPECT_TRUE(has_line(text, "rampart_config_rollout_rollbacks_total{source=\"local\"} 0"));
  EXPECT_TRUE(has_line(text, "rampart_config_rollout_nodes_gone_total 2")) << text;
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m(1);
  m.site("we\"ird\\site\nx")->count(0, 200);
  std::string text = render(m, "v\"1\\\n");
  EXPECT_TRUE(
      has_line(text, "rampart_requests_total{site=\"we\\\"ird\\\\site\\nx\",code_class=\"2xx\"} 1"))
      << text;
  EXPECT_TRUE(has_line(text, "rampart_config_version_info{version=\"v\\\"1\\\\\\n\"} 1")) << text;
}

TEST(Metrics, WorkerCountersAreSummed) {
  Metrics m(3);
  m.worker(0).upstream_connects = 2;
  m.worker(2).upstream_connects = 5;
  m.worker(1).upstream_reuses = 9;
  m.worker(0).active_connections = 4;
  m.worker(1).active_connections = -1;
  m.worker(2).rejected_connections = 1;
  m.reloads = 3;
  m.reload_failures = 1;
  std::string text = render(m);
  EXPECT_TRUE(has_line(text, "rampart_upstream_connects_total 7")) << text;
  EXPECT_TRUE(has_line(text, "rampart_upstream_reuses_total 9")) << text;
  EXPECT_TRUE(has_line(text, "rampart_active_connections 3")) << text;
  EXPECT_TRUE(has_line(text, "rampart_connections_rejected_total 1")) << text;
  EXPECT_TRUE(has_line(text, "rampart_connections_accepted_total 0")) << text;
  EXPECT_TRUE(has_line(text, "rampart_config_reloads_total 3")) << text;
  EXPECT_TRUE(has_line(text, "rampart_config_reload_failures_total 1")) << text;
  EXPECT_EQ(m.active_connections(), 3);
  EXPECT_EQ(m.workers(), 3u);
}

TEST(Metrics, RenderAppends) {
  Metrics m(1);
  std::string out = "# before\n";
  m.render(out, "v");
  EXPECT_TRUE(out.starts_with("# before\n# HELP rampart_requests_total ")) << out;
}

}  // namespace
