#pragma once
// Server-side login sessions in Redis.
//   sattva:session:<sha256(id)>  HASH user_id, csrf, created_ms, seen_ms, ip, ua, flash
//                                PEXPIRE = idle timeout, renewed on use
//   sattva:user_sessions:<uid>   SET of the user's session hashes, to end them all at once
// The raw id (128-bit random, base64url) exists only in the client's cookie. Uses the caller's
// Redis (one per thread; not thread-safe).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/redis.h"

namespace sattva::fcgi {

inline constexpr const char* kSessionCookie = "sattva_session";

struct Session {
  std::string raw_id;  // only set by Create
  std::string key_hash;
  int64_t user_id = 0;
  std::string csrf_token;
  int64_t created_ms = 0;
  std::string flash;  // a pending flash message ("kind:text"), consumed by TakeFlash
};

class SessionStore {
 public:
  // |redis| and |clock| must outlive the store.
  SessionStore(common::Redis& redis, const common::Clock& clock, std::chrono::seconds idle,
               std::chrono::seconds absolute);
  // A fresh session with a new id and CSRF token (login always makes a new one: no fixation).
  Session Create(int64_t user_id, const std::string& ip, const std::string& user_agent);
  // The live session for a raw cookie value, renewing its idle timer; nullopt when unknown,
  // idle-expired or past the absolute lifetime (then it is deleted).
  std::optional<Session> Lookup(const std::string& raw_id);
  void Delete(const Session& s);
  // For each session key hash (Session::key_hash): the user id of that session while it lives,
  // 0 once it has ended (logged out, idle-expired, past its absolute lifetime). One round trip.
  // With |renew| the live ones count as used: their idle timer is renewed as by Lookup. wsd
  // renews the sessions that hold an open WebSocket, so a monitoring page left open on a wall
  // screen stays signed in (up to the absolute lifetime); the ticket check renews nothing.
  std::vector<int64_t> LiveUsers(const std::vector<std::string>& key_hashes, bool renew = false);
  // Ends every session of a user (block, delete, password change) except `keep_hash` (the
  // caller's own, when users change their own password). Returns how many ended.
  int DeleteAllForUser(int64_t user_id, const std::string& keep_hash = "");
  void SetFlash(const Session& s, const std::string& flash);
  // Returns and clears the pending flash message ("" when none).
  std::string TakeFlash(const Session& s);

 private:
  common::Redis& redis_;
  const common::Clock& clock_;
  std::chrono::seconds idle_;
  std::chrono::seconds absolute_;
};

}  // namespace sattva::fcgi
