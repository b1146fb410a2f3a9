// The admin audit log page.
#include <optional>

#include "common/email.h"
#include "fcgi/admin/audit_views.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/auth.h"

namespace sattva::fcgi {
namespace {

Response AuditPage(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kAuditView);
  const AuditListParams params = AuditListParams::Parse(ctx.req.query);
  AuditQuery q = params.ToQuery();
  std::vector<AuditRow> rows;
  int64_t total = 0;
  std::string notice;
  ctx.Tx([&](pqxx::work& tx) {
    if (!params.actor.empty()) {
      int64_t id = 0;
      if (ParseId(params.actor, &id)) {
        q.actor_user_id = id;
      } else if (std::optional<User> u =
                     UserStore::FindByEmail(tx, common::NormalizeEmail(params.actor))) {
        q.actor_user_id = u->id;
      } else {
        notice = "No user has the email " + params.actor + ", so nothing matches.";
        return;
      }
    }
    rows = AuditLog::List(tx, q, &total);
  });
  AdminPage page(PageLayout(ctx, p, "Audit log", "audit"), "audit.tpl");
  FillAudit(page.body(), p, params, rows, total, notice);
  return page.ToResponse(TemplatesDir(ctx));
}

}  // namespace

void RegisterAdminAuditRoutes(Router& router) {
  router.Add("GET", "/admin/audit", AdminHandler(AuditPage));
}

}  // namespace sattva::fcgi
