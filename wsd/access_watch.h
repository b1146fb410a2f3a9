#pragma once
// Revocation: a watcher thread re-checks every distinct credential in use every
// `period` (2 s) and hands the ones that no longer hold to the service thread, which closes
// their connections with 1008 and the reason:
//   "user not active"      the user was blocked or deleted
//   "session ended"        logout, idle or absolute expiry, or a password change elsewhere
//   "token revoked"        revoked or expired API token
//   "permissions changed"  the user's role is not the one the connection was opened with
// One check is one Redis script for all sessions, and two PostgreSQL queries (live tokens, user
// rows) for all tokens and users, however many connections share them.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/pg.h"
#include "common/redis.h"
#include "fcgi/sessions.h"
#include "wsd/access.h"

namespace sattva::wsd {

// A credential together with the role it was accepted with: connections opened before and
// after a role change are told apart. "s:<hash>|admin".
std::string RegistryKey(const AccessPrincipal& p);

// One distinct credential in use.
struct CredentialInUse {
  std::string registry_key;
  std::string credential_key;
  int64_t user_id = 0;
  fcgi::Role role = fcgi::Role::kUser;
  AccessPrincipal::Via via = AccessPrincipal::Via::kSession;
  std::string session_hash;
  int64_t token_id = 0;
};

// The credentials of the open connections, counted. The service thread adds and removes; the
// watcher copies. Thread-safe.
class CredentialRegistry {
 public:
  void Add(const AccessPrincipal& p);
  void Remove(const AccessPrincipal& p);
  std::vector<CredentialInUse> Snapshot() const;
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::pair<CredentialInUse, size_t>> in_use_;  // guarded by mu_
};

struct Revocation {
  std::string registry_key;
  std::string credential_key;
  std::string reason;
};

// What one batch check found.
struct CredentialState {
  std::unordered_map<std::string, int64_t> session_owner;  // session hash -> user id, 0: ended
  std::set<int64_t> live_tokens;
  std::map<int64_t, UserRow> users;
};

// The revocations among |in_use| given |state|. Pure.
std::vector<Revocation> DecideRevocations(const std::vector<CredentialInUse>& in_use,
                                          const CredentialState& state);

// Watcher -> service thread. Push wakes the service thread (Server::Wake), which drains it on
// LWS_CALLBACK_EVENT_WAIT_CANCELLED. Thread-safe.
class RevocationQueue {
 public:
  explicit RevocationQueue(std::function<void()> wake) : wake_(std::move(wake)) {}
  void Push(std::vector<Revocation> revocations);
  void Drain(std::vector<Revocation>* out);

 private:
  const std::function<void()> wake_;
  std::mutex mu_;
  std::vector<Revocation> pending_;  // guarded by mu_
};

struct WatcherOptions {
  std::chrono::milliseconds period{2000};
  std::chrono::seconds session_idle{1800};
  std::chrono::seconds session_absolute{43200};
};

// The watcher thread. Owns nothing shared but the registry and queue; its Redis and Pg are its
// own. A failed check (Redis or PostgreSQL down) is logged once per outage and revokes nothing.
class AccessWatcher {
 public:
  // Every reference must outlive the watcher.
  AccessWatcher(CredentialRegistry& registry, RevocationQueue& queue, common::Redis& redis,
                common::Pg& pg, const common::Clock& clock, WatcherOptions options);
  ~AccessWatcher();
  AccessWatcher(const AccessWatcher&) = delete;
  AccessWatcher& operator=(const AccessWatcher&) = delete;

  void Start();
  // Joins the thread. Idempotent.
  void Stop();
  // One check of everything in the registry; pushes what it revokes and returns how many.
  // Throws RedisError/PgError. Exposed for tests.
  size_t CheckOnce();

 private:
  void Run();

  CredentialRegistry& registry_;
  RevocationQueue& queue_;
  common::Redis& redis_;
  common::Pg& pg_;
  const WatcherOptions options_;
  fcgi::SessionStore sessions_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace sattva::wsd
