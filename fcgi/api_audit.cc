// GET /api/v1/audit: the audit log, admin only.
#include "common/email.h"
#include "fcgi/api.h"
#include "fcgi/auth.h"

namespace sattva::fcgi {
namespace {

Response ListAudit(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kAuditView);
  AuditQuery q;
  const std::string actor = QueryString(ctx.req, "actor");
  if (!actor.empty()) {
    if (actor.find_first_not_of("0123456789") == std::string::npos && actor.size() <= 18) {
      q.actor_user_id = std::stoll(actor);
    } else {
      ctx.Tx([&](pqxx::work& tx) {
        std::optional<User> u = UserStore::FindByEmail(tx, common::NormalizeEmail(actor));
        // An unknown actor matches nothing, rather than everything.
        q.actor_user_id = u ? u->id : -1;
      });
    }
  }
  q.action = QueryString(ctx.req, "action");
  q.target_type = QueryString(ctx.req, "target_type");
  q.target_id = QueryString(ctx.req, "target_id");
  q.since = QueryString(ctx.req, "since");
  q.until = QueryString(ctx.req, "until");
  for (const std::string* s : {&q.action, &q.target_type, &q.target_id}) {
    if (s->size() > 200) throw HttpError(422, "validation_failed", "a filter is too long");
  }
  q.page = static_cast<int>(QueryInt(ctx.req, "page", 1, 1, 1000000));
  q.per_page = static_cast<int>(QueryInt(ctx.req, "per_page", 50, 1, 200));
  int64_t total = 0;
  Json::Value items(Json::arrayValue);
  ctx.Read([&](pqxx::transaction_base& tx) {
    for (const auto& row : AuditLog::List(tx, q, &total)) items.append(row.ToJson());
  });
  return Response::Json(200, PageJson(items, total, q.page, q.per_page));
}

}  // namespace

void RegisterAuditApi(Router& router) { router.Add("GET", "/api/v1/audit", ListAudit); }

}  // namespace sattva::fcgi
