// POST /api/v1/ws-ticket: a single-use ticket for the /ws/stats WebSocket (fcgi/ws_tickets.h).
#include "common/json.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"
#include "fcgi/ws_tickets.h"

namespace sattva::fcgi {
namespace {

Response CreateTicket(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  CheckCsrf(ctx, p);
  WsTicketGrant grant;
  grant.user_id = p.user.id;
  if (p.via == Principal::Via::kSession) {
    grant.via = WsTicketGrant::Via::kSession;
    grant.session_hash = p.session->key_hash;
  } else {
    grant.via = WsTicketGrant::Via::kToken;
    grant.token_id = p.token->id;
  }
  Json::Value out(Json::objectValue);
  out["ticket"] = CreateWsTicket(ctx.res.redis, grant);
  out["expires_in"] = kWsTicketTtlSeconds;
  return Response::Json(200, out);  // Json answers carry Cache-Control: no-store
}

}  // namespace

void RegisterWsApi(Router& router) { router.Add("POST", "/api/v1/ws-ticket", CreateTicket); }

}  // namespace sattva::fcgi
