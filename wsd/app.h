#pragma once
// sattva-wsd's entry point: config, logging, signals, the Redis threads and the lws server.

#include "common/config.h"
#include "wsd/server.h"

namespace sattva::wsd {

// The server options from wsd_host, wsd_port, wsd_max_clients, wsd_client_queue and
// wsd_ping_interval_s.
ServerOptions ServerOptionsFromConfig(const common::Config& config);
// The connection caps from wsd_max_per_session, wsd_max_per_address and wsd_max_per_token.
CapLimits CapLimitsFromConfig(const common::Config& config);

// Runs the daemon until SIGTERM or SIGINT. Returns the process exit code: 0 after a clean
// shutdown, 1 on a bad config or when it cannot listen.
int RunMain(int argc, char** argv);

}  // namespace sattva::wsd
