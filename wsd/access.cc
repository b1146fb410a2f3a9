#include "wsd/access.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "common/log.h"
#include "common/password.h"
#include "fcgi/api_tokens.h"
#include "fcgi/ws_tickets.h"

namespace sattva::wsd {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string DisplayName(const std::string& display_name, const std::string& email) {
  if (!display_name.empty()) return display_name;
  return email.substr(0, email.find('@'));
}

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string list = "{";
  for (size_t i = 0; i < ids.size(); ++i) list += (i ? "," : "") + std::to_string(ids[i]);
  return list + "}";
}

}  // namespace

// ---- The pure parts ---------------------------------------------------------------------------

std::optional<std::string> CookieFromHeader(const std::string& cookie_header,
                                            const std::string& name) {
  size_t pos = 0;
  while (pos < cookie_header.size()) {
    size_t end = cookie_header.find(';', pos);
    if (end == std::string::npos) end = cookie_header.size();
    std::string part = Trim(cookie_header.substr(pos, end - pos));
    size_t eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    pos = end + 1;
  }
  return std::nullopt;
}

Credential ParseCredential(const std::string& authorization, const std::string& ticket,
                           const std::string& cookie_header) {
  Credential c;
  if (!authorization.empty()) {
    // The scheme is case-insensitive (RFC 7235); the token is what follows one space.
    if (authorization.size() > 7 && Lower(authorization.substr(0, 7)) == "bearer ") {
      c.kind = Credential::Kind::kBearer;
      c.secret = Trim(authorization.substr(7));
      if (!c.secret.empty()) return c;
    }
    c.kind = Credential::Kind::kNone;
    c.secret.clear();
    c.malformed = true;
    return c;
  }
  if (!ticket.empty()) {
    c.kind = Credential::Kind::kTicket;
    c.secret = ticket;
    return c;
  }
  if (std::optional<std::string> v = CookieFromHeader(cookie_header, fcgi::kSessionCookie)) {
    if (!v->empty()) {
      c.kind = Credential::Kind::kCookie;
      c.secret = *v;
    }
  }
  return c;
}

std::string OriginOfUrl(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) return "";
  auto path = url.find_first_of("/?#", scheme_end + 3);
  std::string o = url.substr(0, path);
  if (o.size() == scheme_end + 3) return "";  // no host
  return Lower(o);
}

bool OriginAllowed(const std::string& origin, const std::string& public_origin) {
  if (origin.empty() || public_origin.empty()) return false;
  // A browser sends exactly scheme://host[:port]; anything with a path is not one.
  return OriginOfUrl(origin) == public_origin && Lower(origin) == public_origin;
}

bool IsLoopbackAddress(const std::string& address) {
  std::string a = address;
  if (a.rfind("::ffff:", 0) == 0) a = a.substr(7);  // IPv4-mapped
  in_addr v4;
  if (inet_pton(AF_INET, a.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, a.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

std::string ClientAddress(const std::string& peer, const std::string& x_real_ip) {
  if (!x_real_ip.empty() && IsLoopbackAddress(peer)) {
    std::string ip = Trim(x_real_ip);
    in6_addr any;
    // Only an address: a header that is not one is ignored, so it cannot mint cap buckets.
    if (inet_pton(AF_INET, ip.c_str(), &any) == 1 || inet_pton(AF_INET6, ip.c_str(), &any) == 1) {
      return ip;
    }
  }
  return peer;
}

std::string AccessPrincipal::CredentialKey() const {
  return via == Via::kSession ? "s:" + session_hash : "t:" + std::to_string(token_id);
}

size_t ConnectionCaps::Count(const std::unordered_map<std::string, size_t>& m,
                             const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

void ConnectionCaps::Dec(std::unordered_map<std::string, size_t>* m, const std::string& k) {
  auto it = m->find(k);
  if (it == m->end()) return;
  if (--it->second == 0) m->erase(it);
}

bool ConnectionCaps::Fits(const AccessPrincipal& p, const std::string& address) const {
  if (p.via == AccessPrincipal::Via::kToken) {
    return Count(per_token_, p.CredentialKey()) < limits_.per_token;
  }
  return Count(per_session_, p.CredentialKey()) < limits_.per_session &&
         Count(per_address_, address) < limits_.per_address;
}

void ConnectionCaps::Add(const AccessPrincipal& p, const std::string& address) {
  if (p.via == AccessPrincipal::Via::kToken) {
    ++per_token_[p.CredentialKey()];
  } else {
    ++per_session_[p.CredentialKey()];
    ++per_address_[address];
  }
}

void ConnectionCaps::Remove(const AccessPrincipal& p, const std::string& address) {
  if (p.via == AccessPrincipal::Via::kToken) {
    Dec(&per_token_, p.CredentialKey());
  } else {
    Dec(&per_session_, p.CredentialKey());
    Dec(&per_address_, address);
  }
}

// ---- The stores -------------------------------------------------------------------------------

std::map<int64_t, UserRow> ReadUsers(pqxx::transaction_base& tx, const std::vector<int64_t>& ids) {
  std::map<int64_t, UserRow> out;
  if (ids.empty()) return out;
  for (const auto& r : tx.exec_params(
           "SELECT id, role, status, display_name, email FROM users WHERE id = ANY($1::bigint[])",
           IdArray(ids))) {
    UserRow u;
    u.id = r[0].as<int64_t>();
    if (!fcgi::ParseRole(r[1].as<std::string>(), &u.role)) {
      LOG_WARN << "user " << u.id << " has an unknown role '" << r[1].as<std::string>()
               << "'; treated as not active";
      continue;
    }
    u.active = r[2].as<std::string>() == "active";
    u.name = DisplayName(r[3].as<std::string>(), r[4].as<std::string>());
    out.emplace(u.id, std::move(u));
  }
  return out;
}

Authenticator::Authenticator(common::Redis& redis, common::Pg& pg, const common::Clock& clock,
                             AuthenticatorOptions options)
    : redis_(redis),
      pg_(pg),
      clock_(clock),
      options_(std::move(options)),
      sessions_(redis, clock, options_.session_idle, options_.session_absolute) {}

const Authenticator::Entry* Authenticator::Cached(const std::string& key) {
  auto it = cache_.find(key);
  if (it == cache_.end()) return nullptr;
  if (clock_.Now() >= it->second.expires) {
    cache_.erase(it);
    return nullptr;
  }
  return &it->second;
}

void Authenticator::Remember(const std::string& key, PrincipalPtr principal) {
  const common::Clock::MonoTime now = clock_.Now();
  if (cache_.size() >= options_.cache_max) {
    for (auto it = cache_.begin(); it != cache_.end();) {
      it = now >= it->second.expires ? cache_.erase(it) : std::next(it);
    }
    // Still full of live entries (a flood of distinct credentials): start again.
    if (cache_.size() >= options_.cache_max) cache_.clear();
  }
  cache_[key] = Entry{std::move(principal), now + options_.cache_ttl};
}

void Authenticator::Forget(const std::string& credential_key) {
  for (auto it = cache_.begin(); it != cache_.end();) {
    bool match = it->first == credential_key ||
                 (it->second.principal && it->second.principal->CredentialKey() == credential_key);
    it = match ? cache_.erase(it) : std::next(it);
  }
}

bool Authenticator::Held(Backend b, AccessDecision* out) {
  const common::Clock::MonoTime until = b == Backend::kRedis ? redis_down_until_ : pg_down_until_;
  if (clock_.Now() >= until) return false;
  out->status = AccessStatus::kUnavailable;
  out->message = b == Backend::kRedis ? "redis is unavailable; retry later"
                                      : "postgres is unavailable; retry later";
  return true;
}

AccessDecision Authenticator::Unavailable(Backend b, const std::string& error) {
  const char* name = b == Backend::kRedis ? "redis" : "postgres";
  int& failures = b == Backend::kRedis ? redis_failures_ : pg_failures_;
  // Each attempt at a dead server can block the service thread up to its timeout, so the hold
  // doubles with each failure in a row (1, 2, 4, 8, 16 s); answers already cached still work.
  const auto hold = options_.failure_hold * (1 << std::min(failures, 4));
  ++failures;
  LOG_WARN << "cannot check a WebSocket credential: " << name << ": " << error
           << "; refusing with 503 for " << hold.count() << " ms";
  (b == Backend::kRedis ? redis_down_until_ : pg_down_until_) = clock_.Now() + hold;
  AccessDecision d;
  d.status = AccessStatus::kUnavailable;
  d.message = std::string(name) + " is unavailable; retry later";
  return d;
}

PrincipalPtr Authenticator::Build(const std::optional<UserRow>& user, AccessPrincipal::Via via,
                                  const std::string& session_hash, int64_t token_id) {
  if (!user || !user->active) return nullptr;
  auto p = std::make_shared<AccessPrincipal>();
  p->user_id = user->id;
  p->name = user->name;
  p->role = user->role;
  p->via = via;
  p->session_hash = session_hash;
  p->token_id = token_id;
  return p;
}

std::optional<UserRow> Authenticator::ReadUser(int64_t id) {
  std::optional<UserRow> row;
  pg_.Run([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    auto rows = ReadUsers(tx, {id});
    if (!rows.empty()) row = rows.begin()->second;
  });
  return row;
}

namespace {

AccessDecision Decided(PrincipalPtr p, const char* refusal) {
  AccessDecision d;
  if (p) {
    d.status = AccessStatus::kOk;
    d.principal = std::move(p);
  } else {
    d.status = AccessStatus::kUnauthenticated;
    d.message = refusal;
  }
  return d;
}

}  // namespace

AccessDecision Authenticator::ByToken(const std::string& token) {
  static const char* kRefusal = "the API token is invalid or revoked, or its user is not active";
  const std::string key = "bearer:" + common::Sha256Hex(token);
  if (const Entry* e = Cached(key)) return Decided(e->principal, kRefusal);
  AccessDecision held;
  if (Held(Backend::kPg, &held)) return held;
  PrincipalPtr p;
  try {
    pg_.Run([&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      std::optional<fcgi::ApiToken> t = fcgi::TokenStore::Authenticate(tx, token);
      if (!t) return;
      auto rows = ReadUsers(tx, {t->user_id});
      std::optional<UserRow> u;
      if (!rows.empty()) u = rows.begin()->second;
      p = Build(u, AccessPrincipal::Via::kToken, "", t->id);
    });
  } catch (const common::PgError& e) {
    return Unavailable(Backend::kPg, e.what());
  } catch (const pqxx::failure& e) {
    return Unavailable(Backend::kPg, e.what());
  }
  pg_failures_ = 0;
  Remember(key, p);
  return Decided(p, kRefusal);
}

AccessDecision Authenticator::ByCookie(const std::string& session_id) {
  static const char* kRefusal = "the session has ended or its user is not active; log in again";
  if (session_id.size() > 64) return Decided(nullptr, kRefusal);
  const std::string hash = common::Sha256Hex(session_id);
  const std::string key = "s:" + hash;
  if (const Entry* e = Cached(key)) return Decided(e->principal, kRefusal);
  AccessDecision held;
  if (Held(Backend::kRedis, &held) || Held(Backend::kPg, &held)) return held;
  std::optional<fcgi::Session> s;
  try {
    s = sessions_.Lookup(session_id);  // renews it, as a page view would
  } catch (const common::RedisError& e) {
    return Unavailable(Backend::kRedis, e.what());
  }
  redis_failures_ = 0;
  PrincipalPtr p;
  if (s) {
    try {
      p = Build(ReadUser(s->user_id), AccessPrincipal::Via::kSession, hash, 0);
    } catch (const common::PgError& e) {
      return Unavailable(Backend::kPg, e.what());
    } catch (const pqxx::failure& e) {
      return Unavailable(Backend::kPg, e.what());
    }
    pg_failures_ = 0;
  }
  Remember(key, p);
  return Decided(p, kRefusal);
}

AccessDecision Authenticator::ByTicket(const std::string& ticket) {
  static const char* kRefusal =
      "the ticket is unknown, expired or used, or what it was issued for has ended";
  AccessDecision held;
  if (Held(Backend::kRedis, &held) || Held(Backend::kPg, &held)) return held;
  std::optional<fcgi::WsTicketGrant> grant;
  try {
    grant = fcgi::ConsumeWsTicket(redis_, ticket);
  } catch (const common::RedisError& e) {
    return Unavailable(Backend::kRedis, e.what());
  }
  redis_failures_ = 0;
  if (!grant) return Decided(nullptr, kRefusal);
  // The session or token the ticket was issued for must still be live, for the same user.
  const bool via_session = grant->via == fcgi::WsTicketGrant::Via::kSession;
  const std::string key =
      via_session ? "s:" + grant->session_hash : "t:" + std::to_string(grant->token_id);
  if (const Entry* e = Cached(key)) {
    if (e->principal && e->principal->user_id != grant->user_id) return Decided(nullptr, kRefusal);
    return Decided(e->principal, kRefusal);
  }
  PrincipalPtr p;
  try {
    if (via_session) {
      std::vector<int64_t> owners = sessions_.LiveUsers({grant->session_hash});
      if (owners[0] != grant->user_id) return Decided(nullptr, kRefusal);
    }
  } catch (const common::RedisError& e) {
    return Unavailable(Backend::kRedis, e.what());
  }
  try {
    pg_.Run([&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      if (!via_session) {
        std::vector<int64_t> live = fcgi::TokenStore::LiveAmong(tx, {grant->token_id});
        if (live.empty()) return;
      }
      auto rows = ReadUsers(tx, {grant->user_id});
      std::optional<UserRow> u;
      if (!rows.empty()) u = rows.begin()->second;
      p = Build(u, via_session ? AccessPrincipal::Via::kSession : AccessPrincipal::Via::kToken,
                via_session ? grant->session_hash : "", via_session ? 0 : grant->token_id);
    });
  } catch (const common::PgError& e) {
    return Unavailable(Backend::kPg, e.what());
  } catch (const pqxx::failure& e) {
    return Unavailable(Backend::kPg, e.what());
  }
  pg_failures_ = 0;
  // Only a good answer is cached under the session/token key: a ticket names a token's id,
  // and a stale "no" for it must not outlive a check made for another reason.
  if (p) Remember(key, p);
  return Decided(p, kRefusal);
}

AccessDecision Authenticator::Authenticate(const Credential& credential,
                                           const std::string& origin) {
  switch (credential.kind) {
    case Credential::Kind::kBearer:
      return ByToken(credential.secret);
    case Credential::Kind::kTicket:
      return ByTicket(credential.secret);
    case Credential::Kind::kCookie:
      if (!OriginAllowed(origin, options_.public_origin)) {
        AccessDecision d;
        d.status = AccessStatus::kForbiddenOrigin;
        d.message =
            "a session cookie is accepted only with an Origin of " +
            (options_.public_origin.empty() ? std::string("public_url") : options_.public_origin);
        return d;
      }
      return ByCookie(credential.secret);
    case Credential::Kind::kNone:
      break;
  }
  return Decided(nullptr, credential.malformed
                              ? "Authorization must be 'Bearer <token>'"
                              : "log in (session cookie), send an API token, or use a ticket "
                                "from POST /api/v1/ws-ticket");
}

}  // namespace sattva::wsd
