#include "common/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace sattva::common {
namespace {

prometheus::MetricFamily Single(const std::string& name, const std::string& help,
                                prometheus::MetricType type, double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(m);
  return f;
}

int CountOpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (struct dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    --n;  // the directory stream itself
  }
  return n;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double v = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> v;
      return v;
    }
  }
  return 0;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  std::ifstream in("/proc/self/stat");
  std::string line;
  std::getline(in, line);
  // Fields after the parenthesised command name; comm may contain spaces.
  auto rp = line.rfind(')');
  if (rp == std::string::npos) return out;
  std::istringstream ss(line.substr(rp + 2));
  std::vector<std::string> f;
  std::string tok;
  while (ss >> tok) f.push_back(tok);
  // f[0] is field 3 (state); utime=14, stime=15, starttime=22, vsize=23, rss=24.
  if (f.size() < 22) return out;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  double start = BootTimeSeconds() + std::stod(f[19]) / ticks;
  out.push_back(Single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                       MetricType::Counter, cpu));
  out.push_back(Single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       MetricType::Gauge, std::stod(f[20])));
  out.push_back(Single("process_resident_memory_bytes", "Resident memory size in bytes.",
                       MetricType::Gauge, std::stod(f[21]) * page));
  out.push_back(Single("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                       start));
  out.push_back(Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                       CountOpenFds()));
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    out.push_back(Single("process_max_fds", "Maximum number of open file descriptors.",
                         MetricType::Gauge, static_cast<double>(rl.rlim_cur)));
  }
  return out;
}

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {}

std::string Metrics::Serialize() const {
  auto families = registry_->Collect();
  auto proc = process_.Collect();
  families.insert(families.end(), proc.begin(), proc.end());
  std::ostringstream os;
  prometheus::TextSerializer().Serialize(os, families);
  return os.str();
}

RequestMetrics::RequestMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("sattva_http_requests_total")
                    .Help("HTTP requests by method, route template and status")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("sattva_http_request_duration_seconds")
                    .Help("HTTP request latency by method and route template")
                    .Register(registry)) {}

void RequestMetrics::Observe(const std::string& method, const std::string& route, int status,
                             double seconds) {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  prometheus::Counter* c;
  prometheus::Histogram* h;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto ck = std::make_tuple(method, route, status);
    auto it = counters_.find(ck);
    if (it == counters_.end()) {
      it = counters_
               .emplace(ck, &requests_.Add({{"method", method},
                                            {"route", route},
                                            {"status", std::to_string(status)}}))
               .first;
    }
    c = it->second;
    auto hk = std::make_pair(method, route);
    auto hit = histograms_.find(hk);
    if (hit == histograms_.end()) {
      hit = histograms_.emplace(hk, &duration_.Add({{"method", method}, {"route", route}}, kBuckets))
                .first;
    }
    h = hit->second;
  }
  c->Increment();
  h->Observe(seconds);
}

}  // namespace sattva::common
