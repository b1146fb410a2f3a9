#pragma once
// sattva-streamer's entry point. This streamer is the skeleton daemon: it registers a
// heartbeat in Redis, checks PostgreSQL, and serves /metrics. The audio engine comes later.

#include <string>

namespace sattva::streamer {

// Runs the daemon until SIGTERM or SIGINT. Returns 0 after a clean shutdown, 1 when the config
// is bad or the metrics port cannot be bound.
int RunMain(int argc, char** argv);

// "HOST:PORT", or "[HOST]:PORT" for an IPv6 address: the listen string civetweb expects.
std::string ListenAddress(const std::string& host, int port);

}  // namespace sattva::streamer
