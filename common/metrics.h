#pragma once
// Metrics helpers over prometheus-cpp. Each daemon owns one Metrics (one registry). Families are
// built once and their children kept, because a per-request Family::Add is slow.
// All classes here are thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace sattva::common {

// process_* metrics read from /proc/self, like the other Prometheus clients export.
class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

class Metrics {
 public:
  Metrics();
  prometheus::Registry& registry() { return *registry_; }
  // The registry's families plus process metrics, in the Prometheus text format 0.0.4.
  std::string Serialize() const;
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  ProcessCollector process_;
};

// sattva_http_requests_total{method,route,status} and
// sattva_http_request_duration_seconds{method,route}. `route` is always a route template
// ("/api/v1/streams/{id}") or "unmatched", never a raw path, so label cardinality stays bounded.
class RequestMetrics {
 public:
  explicit RequestMetrics(prometheus::Registry& registry);
  void Observe(const std::string& method, const std::string& route, int status, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, prometheus::Counter*> counters_;
  std::map<std::pair<std::string, std::string>, prometheus::Histogram*> histograms_;
};

}  // namespace sattva::common
