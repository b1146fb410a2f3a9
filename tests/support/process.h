#pragma once
// Child processes for integration tests: started with fork/exec (optionally as another user),
// stopped by pid. Never by name.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sattva::testing {

class Process {
 public:
  Process() = default;
  ~Process();  // stops the process (SIGTERM, then SIGKILL) if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv[0] (a path) with stdout and stderr appended to `log_path`. `run_as` is a user
  // name to switch to when running as root ("" keeps the current user). `env` entries are
  // added to the environment ("K=V").
  void Start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::string& run_as = "", const std::vector<std::string>& env = {});
  // Sends `sig` and waits up to `timeout` for exit. Returns the wait status, or -1 on timeout.
  int Stop(int sig, std::chrono::milliseconds timeout);
  void Kill9();
  // Blocks until the process exits; returns its wait status.
  int Wait();
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// Runs a command to completion (as `run_as` when root); returns the exit code.
int RunCommand(const std::vector<std::string>& argv, const std::string& log_path,
               const std::string& run_as = "");

// A free TCP port on 127.0.0.1 (bind to port 0 and read it back).
int FreePort();
// True once something accepts TCP connections on 127.0.0.1:port, within `timeout`.
bool WaitForPort(int port, std::chrono::milliseconds timeout);
bool WaitForUnixSocket(const std::string& path, std::chrono::milliseconds timeout);

// A fresh directory under /tmp that other users can traverse (so postgres and nginx workers
// can reach what is inside). Removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);
// Last `lines` lines of a log file, for failure messages.
std::string Tail(const std::string& path, int lines = 40);

}  // namespace sattva::testing
