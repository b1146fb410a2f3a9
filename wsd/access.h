#pragma once
// Who may open /ws/stats, decided before the upgrade (docs/websocket.md, "Access").
//
// An upgrade carries one credential, looked at in this order:
//   1. "Authorization: Bearer sat_..."  an API token (live, its user active);
//   2. "?ticket=<t>"                    a single-use ticket from POST /api/v1/ws-ticket;
//   3. the sattva_session cookie        a login session, and only with an Origin header equal
//                                       to public_url's origin (cross-site WebSocket hijacking).
// The sessions, tokens, tickets and roles are fcgi's own code (the sattva_access library); the
// user row (role, status, name) is one small query here.
//
// The pure parts (parsing, the Origin check, the client address, the caps) are plain functions
// and classes. The Authenticator runs on the lws service thread with that thread's own Redis and
// PostgreSQL connections; it caches each credential's answer for at most the recheck period, so
// 10,000 connects with one token cost one query, and after a failure it refuses with 503 at once
// for a while (1 s, doubling with each failure in a row up to 16 s) instead of blocking the
// service thread on a dead server for every upgrade.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pqxx/pqxx>

#include "common/clock.h"
#include "common/pg.h"
#include "common/redis.h"
#include "fcgi/permissions.h"
#include "fcgi/sessions.h"

namespace sattva::wsd {

// ---- The pure parts ---------------------------------------------------------------------------

struct Credential {
  enum class Kind { kNone, kBearer, kTicket, kCookie };
  Kind kind = Kind::kNone;
  std::string secret;  // the token, the ticket, or the session id
  // An Authorization header was sent but is not "Bearer <token>": refused, never ignored.
  bool malformed = false;
};

// Picks the credential of an upgrade from its Authorization header, its `ticket` query argument
// and its Cookie header ("" for each one that is absent).
Credential ParseCredential(const std::string& authorization, const std::string& ticket,
                           const std::string& cookie_header);
// The value of cookie |name| in a Cookie header; nullopt when it is not there.
std::optional<std::string> CookieFromHeader(const std::string& cookie_header,
                                            const std::string& name);

// scheme://host[:port] of a URL, lower-cased; "" when it is not a URL.
std::string OriginOfUrl(const std::string& url);
// Whether the Origin header (|origin|, "" when absent) is public_url's origin (|public_origin|,
// from OriginOfUrl). Absent, "null" or any other origin is refused.
bool OriginAllowed(const std::string& origin, const std::string& public_origin);

bool IsLoopbackAddress(const std::string& address);
// The client's address as nginx saw it: X-Real-IP when the TCP peer is loopback (nginx is
// the only loopback client that sets it), the TCP peer otherwise.
std::string ClientAddress(const std::string& peer, const std::string& x_real_ip);

// Who a connection belongs to. Immutable once built; shared by the connections it serves.
struct AccessPrincipal {
  enum class Via { kSession, kToken };
  int64_t user_id = 0;
  std::string name;  // the display name (the email's local part when there is none)
  fcgi::Role role = fcgi::Role::kUser;
  Via via = Via::kSession;
  std::string session_hash;  // Via::kSession
  int64_t token_id = 0;      // Via::kToken
  // What the revocation watcher checks: "s:<session hash>" or "t:<token id>".
  std::string CredentialKey() const;
  // Lacks `users.view`: gets the redacted events.
  bool Redacted() const { return !fcgi::Can(role, fcgi::Permission::kUsersView); }
};
using PrincipalPtr = std::shared_ptr<const AccessPrincipal>;

struct CapLimits {
  size_t per_session = 20;
  size_t per_address = 200;
  size_t per_token = 20000;
};

// Open connections per session, per client address and per API token. Token connections
// count against their token only (services and benchmarks connect from one address); session
// connections count against their session and their address. Service thread only.
class ConnectionCaps {
 public:
  explicit ConnectionCaps(CapLimits limits) : limits_(limits) {}
  // Whether one more connection of |p| from |address| stays within every cap.
  bool Fits(const AccessPrincipal& p, const std::string& address) const;
  void Add(const AccessPrincipal& p, const std::string& address);
  void Remove(const AccessPrincipal& p, const std::string& address);
  size_t sessions() const { return per_session_.size(); }
  size_t addresses() const { return per_address_.size(); }
  size_t tokens() const { return per_token_.size(); }

 private:
  static size_t Count(const std::unordered_map<std::string, size_t>& m, const std::string& k);
  static void Dec(std::unordered_map<std::string, size_t>* m, const std::string& k);
  CapLimits limits_;
  std::unordered_map<std::string, size_t> per_session_;
  std::unordered_map<std::string, size_t> per_address_;
  std::unordered_map<std::string, size_t> per_token_;
};

// ---- The stores -------------------------------------------------------------------------------

// The columns of a user row wsd needs.
struct UserRow {
  int64_t id = 0;
  fcgi::Role role = fcgi::Role::kUser;
  bool active = false;
  std::string name;
};
// The rows of |ids| that exist, by id. One query.
std::map<int64_t, UserRow> ReadUsers(pqxx::transaction_base& tx, const std::vector<int64_t>& ids);

enum class AccessStatus {
  kOk,
  kUnauthenticated,  // 401: no credential, or one that is unknown, ended, revoked, or whose user
                     // is not active
  kForbiddenOrigin,  // 403: a cookie without public_url's Origin
  kUnavailable,      // 503: Redis or PostgreSQL could not be asked
};

struct AccessDecision {
  AccessStatus status = AccessStatus::kUnauthenticated;
  PrincipalPtr principal;  // kOk
  std::string message;     // why, for the refusal body
};

struct AuthenticatorOptions {
  std::string public_origin;                     // OriginOfUrl(public_url)
  std::chrono::milliseconds cache_ttl{2000};     // the recheck period
  std::chrono::milliseconds failure_hold{1000};  // 503 at once this long after a first failure
  size_t cache_max = 10000;                      // entries; expired ones go first
  std::chrono::seconds session_idle{1800};
  std::chrono::seconds session_absolute{43200};
};

// Decides upgrades. Service thread only (uses its own connections, given here).
class Authenticator {
 public:
  // |redis|, |pg| and |clock| must outlive the authenticator.
  Authenticator(common::Redis& redis, common::Pg& pg, const common::Clock& clock,
                AuthenticatorOptions options);
  // |origin| is the Origin header ("" when absent).
  AccessDecision Authenticate(const Credential& credential, const std::string& origin);
  // Drops what is cached for a credential (CredentialKey()) the watcher found revoked.
  void Forget(const std::string& credential_key);
  size_t cached() const { return cache_.size(); }

 private:
  struct Entry {
    PrincipalPtr principal;  // null: known bad
    common::Clock::MonoTime expires;
  };
  enum class Backend { kRedis, kPg };
  const Entry* Cached(const std::string& key);
  void Remember(const std::string& key, PrincipalPtr principal);
  bool Held(Backend b, AccessDecision* out);
  AccessDecision Unavailable(Backend b, const std::string& error);
  // The principal of a user row, or null when the user is missing or not active.
  PrincipalPtr Build(const std::optional<UserRow>& user, AccessPrincipal::Via via,
                     const std::string& session_hash, int64_t token_id);
  std::optional<UserRow> ReadUser(int64_t id);

  AccessDecision ByToken(const std::string& token);
  AccessDecision ByCookie(const std::string& session_id);
  AccessDecision ByTicket(const std::string& ticket);

  common::Redis& redis_;
  common::Pg& pg_;
  const common::Clock& clock_;
  const AuthenticatorOptions options_;
  fcgi::SessionStore sessions_;
  std::unordered_map<std::string, Entry> cache_;
  common::Clock::MonoTime redis_down_until_{};
  common::Clock::MonoTime pg_down_until_{};
  int redis_failures_ = 0;  // in a row
  int pg_failures_ = 0;
};

}  // namespace sattva::wsd
