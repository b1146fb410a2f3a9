#pragma once
// A checker for the Prometheus text exposition format 0.0.4, for tests.
#include <map>
#include <string>

namespace sattva::testing {

// Returns true when every line is a valid # HELP / # TYPE / sample line, every sample's
// family has a TYPE, and values parse. On failure *error names the line.
bool ValidatePrometheusText(const std::string& text, std::string* error);
// The value of the first sample whose name-and-labels text equals `series`
// (e.g. `sattva_websocket_connections` or `x_total{a="b"}`); NaN when absent.
double PrometheusValue(const std::string& text, const std::string& series);

}  // namespace sattva::testing
