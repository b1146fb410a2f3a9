#include "fcgi/ws_tickets.h"

#include <cctype>

#include "common/password.h"

namespace sattva::fcgi {
namespace {

std::string TicketKey(const std::string& ticket) {
  return "sattva:ws_ticket:" + common::Sha256Hex(ticket);
}

// A positive decimal without sign or leading zeros that fits int64; 0 otherwise.
int64_t PositiveId(const std::string& s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return 0;
  int64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool IsHexHash(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

}  // namespace

std::string EncodeWsTicketGrant(const WsTicketGrant& grant) {
  if (grant.via == WsTicketGrant::Via::kSession) {
    return "s:" + std::to_string(grant.user_id) + ":" + grant.session_hash;
  }
  return "t:" + std::to_string(grant.user_id) + ":" + std::to_string(grant.token_id);
}

std::optional<WsTicketGrant> DecodeWsTicketGrant(const std::string& value) {
  if (value.size() < 5 || value[1] != ':') return std::nullopt;
  const size_t colon = value.find(':', 2);
  if (colon == std::string::npos) return std::nullopt;
  WsTicketGrant g;
  g.user_id = PositiveId(value.substr(2, colon - 2));
  const std::string ref = value.substr(colon + 1);
  if (g.user_id == 0) return std::nullopt;
  if (value[0] == 's' && IsHexHash(ref)) {
    g.via = WsTicketGrant::Via::kSession;
    g.session_hash = ref;
    return g;
  }
  if (value[0] == 't' && (g.token_id = PositiveId(ref)) != 0) {
    g.via = WsTicketGrant::Via::kToken;
    return g;
  }
  return std::nullopt;
}

std::string CreateWsTicket(common::Redis& redis, const WsTicketGrant& grant) {
  const std::string ticket = common::RandomToken(32);  // 256 bits
  redis.Checked({"SET", TicketKey(ticket), EncodeWsTicketGrant(grant), "EX",
                 std::to_string(kWsTicketTtlSeconds)});
  return ticket;
}

std::optional<WsTicketGrant> ConsumeWsTicket(common::Redis& redis, const std::string& ticket) {
  if (ticket.empty() || ticket.size() > 100) return std::nullopt;
  common::RedisReplyPtr r = redis.Checked({"GETDEL", TicketKey(ticket)});
  if (r->type != REDIS_REPLY_STRING) return std::nullopt;
  return DecodeWsTicketGrant(common::ReplyString(r.get()));
}

}  // namespace sattva::fcgi
