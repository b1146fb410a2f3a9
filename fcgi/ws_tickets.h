#pragma once
// Short-lived tickets for the /ws/stats WebSocket, for browsers, which cannot set an
// Authorization header on a WebSocket. POST /api/v1/ws-ticket (sattva-fcgi) issues one for the
// logged-in caller; sattva-wsd consumes it at the upgrade (`?ticket=`).
//   sattva:ws_ticket:<sha256(ticket)>  "<s|t>:<user_id>:<session hash | token id>", EX 30
// Only the hash is stored. A ticket is single use (GETDEL) and names the session or API token
// that asked for it, so ending that session or revoking that token also ends the socket.
// Uses the caller's Redis (one per thread; not thread-safe).

#include <cstdint>
#include <optional>
#include <string>

#include "common/redis.h"

namespace sattva::fcgi {

inline constexpr int kWsTicketTtlSeconds = 30;

struct WsTicketGrant {
  enum class Via { kSession, kToken };
  int64_t user_id = 0;
  Via via = Via::kSession;
  std::string session_hash;  // Via::kSession: the key hash of the session (Session::key_hash)
  int64_t token_id = 0;      // Via::kToken
};

// Stores a new ticket for |grant| and returns it (43 base64url characters).
std::string CreateWsTicket(common::Redis& redis, const WsTicketGrant& grant);
// Takes the ticket out of Redis (it works once) and returns what it grants; nullopt when it is
// unknown, expired, already used or malformed. Throws common::RedisError when Redis cannot be
// asked.
std::optional<WsTicketGrant> ConsumeWsTicket(common::Redis& redis, const std::string& ticket);

// The stored value for |grant|, and back; exposed for tests.
std::string EncodeWsTicketGrant(const WsTicketGrant& grant);
std::optional<WsTicketGrant> DecodeWsTicketGrant(const std::string& value);

}  // namespace sattva::fcgi
