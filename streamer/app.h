#pragma once
// sattva-streamer's entry point: the audio engine. It registers a heartbeat, claims the leases
// of the streams that should run, plays each one (streamer/player.h), serves the live mounts,
// /metrics and /healthz over HTTP, and hands streams on when it shuts down.

#include <string>

namespace sattva::streamer {

// Runs the daemon until SIGTERM or SIGINT. Returns 0 after a clean shutdown, 1 when the config
// is bad or the HTTP port cannot be bound.
int RunMain(int argc, char** argv);

// "HOST:PORT", or "[HOST]:PORT" for an IPv6 address, for logs.
std::string ListenAddress(const std::string& host, int port);

}  // namespace sattva::streamer
