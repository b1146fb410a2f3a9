// The dashboard (/admin/): station first, then users. One PostgreSQL read for the counts (and
// the users and audit parts when the viewer may see them), one Redis round trip for listeners
// and queues, one query per chart.
#include "fcgi/admin/charts.h"
#include "fcgi/admin/dashboard_views.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/auth.h"
#include "fcgi/permissions.h"
#include "fcgi/stats.h"

namespace sattva::fcgi {
namespace {

constexpr int kRecentRows = 8;

Response Dashboard(RequestContext& ctx) {
  if (ctx.req.path == "/admin") return SeeOther("/admin/");
  const Principal& p = RequireLogin(ctx);
  DashboardData data;
  data.show_users = Can(p.user.role, Permission::kUsersView);
  data.show_audit = Can(p.user.role, Permission::kAuditView);
  const int64_t now = common::UnixMillis(ctx.env.clock.WallNow());
  ctx.Read([&](pqxx::transaction_base& tx) {
    data.station = StatsStore::Station(tx, now);
    if (data.show_users) data.user_counts = UserStore::Counts(tx);
    if (data.show_audit) {
      AuditQuery q;
      q.per_page = kRecentRows;
      int64_t total = 0;
      data.recent = AuditLog::List(tx, q, &total);
    }
  });
  data.live = StatsStore::Live(ctx.res.redis, data.station.running_ids, data.station.stream_ids);
  LayoutInfo layout = PageLayout(ctx, p, "Dashboard", "dashboard");
  layout.styles = {"/static/css/dashboard.css", "/static/css/charts.css"};
  AdminPage page(layout, "dashboard.tpl");
  FillDashboard(page.body(), p, data);
  FillListenerChart(ctx, page.body(), std::nullopt, "LISTENER_CHART");
  FillPlaysChart(ctx, page.body(), "PLAYS_CHART");
  return page.ToResponse(TemplatesDir(ctx));
}

}  // namespace

void RegisterAdminDashboardRoutes(Router& router) {
  router.Add("GET", "/admin", AdminHandler(Dashboard));  // "/admin/" matches it too
}

}  // namespace sattva::fcgi
