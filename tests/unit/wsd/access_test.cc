#include "wsd/access.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/config.h"
#include "fcgi/ws_tickets.h"
#include "wsd/access_watch.h"
#include "wsd/app.h"

namespace sattva::wsd {
namespace {

using Kind = Credential::Kind;

TEST(AccessCredentialTest, BearerTicketCookieInThatOrder) {
  Credential c = ParseCredential("Bearer sat_abc", "tkt", "sattva_session=sid");
  EXPECT_EQ(c.kind, Kind::kBearer);
  EXPECT_EQ(c.secret, "sat_abc");
  c = ParseCredential("", "tkt", "sattva_session=sid");
  EXPECT_EQ(c.kind, Kind::kTicket);
  EXPECT_EQ(c.secret, "tkt");
  c = ParseCredential("", "", "a=1; sattva_session=sid; b=2");
  EXPECT_EQ(c.kind, Kind::kCookie);
  EXPECT_EQ(c.secret, "sid");
  c = ParseCredential("", "", "");
  EXPECT_EQ(c.kind, Kind::kNone);
  EXPECT_FALSE(c.malformed);
}

TEST(AccessCredentialTest, SchemeIsCaseInsensitiveAndOthersAreRefused) {
  EXPECT_EQ(ParseCredential("bearer sat_x", "", "").kind, Kind::kBearer);
  EXPECT_EQ(ParseCredential("BEARER  sat_x ", "", "").secret, "sat_x");
  for (const char* bad : {"Basic dTpw", "Bearer", "Bearer ", "sat_x", "Bearersat_x"}) {
    Credential c = ParseCredential(bad, "", "sattva_session=sid");
    EXPECT_EQ(c.kind, Kind::kNone) << bad;  // never falls back to the cookie
    EXPECT_TRUE(c.malformed) << bad;
  }
}

TEST(AccessCredentialTest, CookieNameMustMatchExactly) {
  EXPECT_EQ(ParseCredential("", "", "xsattva_session=sid").kind, Kind::kNone);
  EXPECT_EQ(ParseCredential("", "", "sattva_session=").kind, Kind::kNone);
  EXPECT_EQ(CookieFromHeader("a=1;sattva_session=x=y", "sattva_session").value(), "x=y");
  EXPECT_FALSE(CookieFromHeader("a=1", "sattva_session"));
}

TEST(AccessOriginTest, OnlyPublicUrlsOrigin) {
  const std::string mine = OriginOfUrl("http://127.0.0.1:8080/");
  EXPECT_EQ(mine, "http://127.0.0.1:8080");
  EXPECT_EQ(OriginOfUrl("HTTPS://Radio.Example/base?x"), "https://radio.example");
  EXPECT_EQ(OriginOfUrl("not a url"), "");
  EXPECT_TRUE(OriginAllowed("http://127.0.0.1:8080", mine));
  EXPECT_TRUE(OriginAllowed("HTTP://127.0.0.1:8080", mine));
  EXPECT_FALSE(OriginAllowed("", mine));
  EXPECT_FALSE(OriginAllowed("null", mine));
  EXPECT_FALSE(OriginAllowed("http://evil.example", mine));
  EXPECT_FALSE(OriginAllowed("http://127.0.0.1:8081", mine));
  EXPECT_FALSE(OriginAllowed("https://127.0.0.1:8080", mine));
  EXPECT_FALSE(OriginAllowed("http://127.0.0.1:8080.evil.example", mine));
  EXPECT_FALSE(OriginAllowed("http://127.0.0.1:8080/path", mine));
  EXPECT_FALSE(OriginAllowed("http://127.0.0.1:8080", ""));  // no public_url: nothing passes
}

TEST(AccessAddressTest, RealIpOnlyFromLoopback) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.3.2.1"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("localhost"));
  EXPECT_EQ(ClientAddress("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(ClientAddress("127.0.0.1", ""), "127.0.0.1");
  EXPECT_EQ(ClientAddress("198.51.100.4", "203.0.113.9"), "198.51.100.4");  // forged
  EXPECT_EQ(ClientAddress("127.0.0.1", "not-an-ip"), "127.0.0.1");
  EXPECT_EQ(ClientAddress("::1", "2001:db8::1"), "2001:db8::1");
}

AccessPrincipal Session(const std::string& hash, fcgi::Role role = fcgi::Role::kUser) {
  AccessPrincipal p;
  p.user_id = 1;
  p.role = role;
  p.via = AccessPrincipal::Via::kSession;
  p.session_hash = hash;
  return p;
}

AccessPrincipal Token(int64_t id) {
  AccessPrincipal p;
  p.user_id = 2;
  p.via = AccessPrincipal::Via::kToken;
  p.token_id = id;
  return p;
}

TEST(AccessCapsTest, PerSessionPerAddressPerToken) {
  ConnectionCaps caps(CapLimits{2, 3, 4});
  const AccessPrincipal a = Session("a"), b = Session("b"), t = Token(9);
  EXPECT_TRUE(caps.Fits(a, "1.1.1.1"));
  caps.Add(a, "1.1.1.1");
  caps.Add(a, "1.1.1.1");
  EXPECT_FALSE(caps.Fits(a, "2.2.2.2"));  // the session is full wherever it comes from
  EXPECT_TRUE(caps.Fits(b, "1.1.1.1"));
  caps.Add(b, "1.1.1.1");
  EXPECT_FALSE(caps.Fits(b, "1.1.1.1"));  // the address is full (3)
  EXPECT_TRUE(caps.Fits(b, "2.2.2.2"));
  // Tokens count against their token only, not the address.
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(caps.Fits(t, "1.1.1.1")) << i;
    caps.Add(t, "1.1.1.1");
  }
  EXPECT_FALSE(caps.Fits(t, "9.9.9.9"));
  EXPECT_TRUE(caps.Fits(Token(10), "1.1.1.1"));
  // Closing frees the slots, and empty buckets go away.
  caps.Remove(a, "1.1.1.1");
  EXPECT_TRUE(caps.Fits(b, "1.1.1.1"));
  caps.Remove(a, "1.1.1.1");
  caps.Remove(b, "1.1.1.1");
  for (int i = 0; i < 4; ++i) caps.Remove(t, "1.1.1.1");
  EXPECT_EQ(caps.sessions(), 0u);
  EXPECT_EQ(caps.addresses(), 0u);
  EXPECT_EQ(caps.tokens(), 0u);
  caps.Remove(t, "1.1.1.1");  // an extra remove is harmless
  EXPECT_TRUE(caps.Fits(t, "1.1.1.1"));
}

TEST(AccessPrincipalTest, KeysAndRedaction) {
  EXPECT_EQ(Session("ab").CredentialKey(), "s:ab");
  EXPECT_EQ(Token(12).CredentialKey(), "t:12");
  EXPECT_TRUE(Session("a", fcgi::Role::kUser).Redacted());
  EXPECT_FALSE(Session("a", fcgi::Role::kModerator).Redacted());
  EXPECT_FALSE(Session("a", fcgi::Role::kAdmin).Redacted());
  EXPECT_EQ(RegistryKey(Session("a", fcgi::Role::kAdmin)), "s:a|admin");
}

TEST(AccessAuthenticatorTest, RefusesWithoutAskingAnyServer) {
  // Nothing listens on these: any attempt to ask would come back as kUnavailable.
  common::RedisOptions ro;
  ro.port = 1;
  common::Redis redis(ro);
  common::Pg pg("host=127.0.0.1 port=1 dbname=none", 1, "test");
  common::FakeClock clock;
  AuthenticatorOptions o;
  o.public_origin = "http://127.0.0.1:8080";
  Authenticator auth(redis, pg, clock, o);

  EXPECT_EQ(auth.Authenticate(Credential{}, "").status, AccessStatus::kUnauthenticated);
  EXPECT_EQ(auth.Authenticate(ParseCredential("Basic x", "", ""), "").status,
            AccessStatus::kUnauthenticated);
  Credential cookie = ParseCredential("", "", "sattva_session=abc");
  AccessDecision d = auth.Authenticate(cookie, "http://evil.example");
  EXPECT_EQ(d.status, AccessStatus::kForbiddenOrigin);
  EXPECT_EQ(auth.Authenticate(cookie, "").status, AccessStatus::kForbiddenOrigin);
  EXPECT_EQ(redis.Connected(), false);
  // The right Origin goes on to Redis, which is down: 503, and for a while without retrying.
  EXPECT_EQ(auth.Authenticate(cookie, "http://127.0.0.1:8080").status, AccessStatus::kUnavailable);
  EXPECT_EQ(auth.Authenticate(ParseCredential("", "t", ""), "").status, AccessStatus::kUnavailable);
  EXPECT_EQ(auth.cached(), 0u);  // failures are not remembered as answers
}

TEST(AccessTicketTest, GrantRoundTrip) {
  fcgi::WsTicketGrant s;
  s.user_id = 5;
  s.via = fcgi::WsTicketGrant::Via::kSession;
  s.session_hash = std::string(64, 'a');
  auto back = fcgi::DecodeWsTicketGrant(fcgi::EncodeWsTicketGrant(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->user_id, 5);
  EXPECT_EQ(back->via, fcgi::WsTicketGrant::Via::kSession);
  EXPECT_EQ(back->session_hash, s.session_hash);

  fcgi::WsTicketGrant t;
  t.user_id = 6;
  t.via = fcgi::WsTicketGrant::Via::kToken;
  t.token_id = 77;
  back = fcgi::DecodeWsTicketGrant(fcgi::EncodeWsTicketGrant(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->via, fcgi::WsTicketGrant::Via::kToken);
  EXPECT_EQ(back->token_id, 77);

  for (const char* bad :
       {"", "s:5:short", "t:5:", "t:0:3", "x:5:3", "t:-1:3", "t:5:3a", "s:05:aaaa"}) {
    EXPECT_FALSE(fcgi::DecodeWsTicketGrant(bad)) << bad;
  }
}

CredentialInUse InUse(const AccessPrincipal& p) {
  CredentialRegistry r;
  r.Add(p);
  return r.Snapshot().at(0);
}

UserRow User(int64_t id, fcgi::Role role, bool active = true) {
  UserRow u;
  u.id = id;
  u.role = role;
  u.active = active;
  return u;
}

TEST(AccessWatchTest, DecidesRevocations) {
  const AccessPrincipal live_session = Session("h1");                  // user 1, role user
  const AccessPrincipal ended_session = Session("h2");                 // user 1
  const AccessPrincipal live_token = Token(3);                         // user 2
  const AccessPrincipal revoked_token = Token(4);                      // user 2
  const AccessPrincipal promoted = Session("h1", fcgi::Role::kAdmin);  // opened as admin
  CredentialState state;
  state.session_owner = {{"h1", 1}, {"h2", 0}};
  state.live_tokens = {3};
  state.users = {{1, User(1, fcgi::Role::kUser)}, {2, User(2, fcgi::Role::kUser)}};
  auto out = DecideRevocations({InUse(live_session), InUse(ended_session), InUse(live_token),
                                InUse(revoked_token), InUse(promoted)},
                               state);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].registry_key, "s:h2|user");
  EXPECT_EQ(out[0].reason, "session ended");
  EXPECT_EQ(out[1].credential_key, "t:4");
  EXPECT_EQ(out[1].reason, "token revoked");
  EXPECT_EQ(out[2].registry_key, "s:h1|admin");
  EXPECT_EQ(out[2].reason, "permissions changed");

  // A blocked or missing user ends everything of theirs.
  state.users[1].active = false;
  state.users.erase(2);
  out = DecideRevocations({InUse(live_session), InUse(live_token)}, state);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].reason, "user not active");
  EXPECT_EQ(out[1].reason, "user not active");

  // A session that now belongs to someone else (never, but) is not this one.
  state.users[1].active = true;
  state.session_owner["h1"] = 9;
  out = DecideRevocations({InUse(live_session)}, state);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reason, "session ended");
}

TEST(AccessWatchTest, RegistryCountsAndQueueWakes) {
  CredentialRegistry r;
  const AccessPrincipal a = Session("a"), t = Token(1);
  r.Add(a);
  r.Add(a);
  r.Add(t);
  EXPECT_EQ(r.size(), 2u);  // distinct credentials, however many connections
  r.Remove(a);
  EXPECT_EQ(r.size(), 2u);
  r.Remove(a);
  EXPECT_EQ(r.size(), 1u);
  EXPECT_EQ(r.Snapshot().at(0).credential_key, "t:1");

  int wakes = 0;
  RevocationQueue q([&wakes] { ++wakes; });
  q.Push({});
  EXPECT_EQ(wakes, 0);  // nothing to do: no wake
  q.Push({Revocation{"t:1|user", "t:1", "token revoked"}});
  EXPECT_EQ(wakes, 1);
  std::vector<Revocation> got;
  q.Drain(&got);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].reason, "token revoked");
  got.clear();
  q.Drain(&got);
  EXPECT_TRUE(got.empty());
}

TEST(AccessCapsTest, FromConfig) {
  CapLimits d = CapLimitsFromConfig(common::Config::FromOverrides({}));
  EXPECT_EQ(d.per_session, 20u);
  EXPECT_EQ(d.per_address, 200u);
  EXPECT_EQ(d.per_token, 20000u);
  CapLimits c = CapLimitsFromConfig(common::Config::FromOverrides(
      {"wsd_max_per_session=2", "wsd_max_per_address=3", "wsd_max_per_token=4"}));
  EXPECT_EQ(c.per_session, 2u);
  EXPECT_EQ(c.per_address, 3u);
  EXPECT_EQ(c.per_token, 4u);
  EXPECT_THROW(common::Config::FromOverrides({"wsd_max_per_session=0"}), common::ConfigError);
}

}  // namespace
}  // namespace sattva::wsd
