#pragma once
#include "fcgi/router.h"

namespace sattva::fcgi {

// Registers every route sattva-fcgi serves.
void RegisterRoutes(Router& router);
// The sattva-fcgi program: config, socket, workers, then wait for SIGTERM/SIGINT.
int RunMain(int argc, char** argv);

}  // namespace sattva::fcgi
