#pragma once
// The admin panel (/admin/...): server-rendered HTML pages (ctemplate, templates/) that all work
// without JavaScript. GET pages only read; every POST form carries the session's CSRF token and
// answers with a 303 to a GET page and a flash message, or re-renders the form with the error
// (422, 409, 401 or 429) and what was typed.
//
//   GET  /admin, /admin/                     dashboard
//   GET  /admin/login   POST /admin/login    sign in (?next= a local /admin path)
//   POST /admin/logout
//   GET  /admin/users                        list: q, role, status, sort, order, page, per_page
//   GET  /admin/users/new  POST /admin/users create
//   GET  /admin/users/{id} POST /admin/users/{id}             view and edit
//   GET  /admin/users/{id}/delete  POST /admin/users/{id}/delete  confirm and delete
//   GET  /admin/audit                        actor, action, target_type, target_id, since, until
//   GET  /admin/profile  POST /admin/profile  POST /admin/profile/password
//   POST /admin/profile/tokens  POST /admin/profile/tokens/{id}/revoke
//   /admin/streams..., /admin/tracks...      the station: docs/admin.md lists every page and form
//   GET  /admin/monitoring                   live monitoring (static/js/monitoring.js, /ws/stats)
//   GET  /admin/{users,audit,tracks}/export.{csv,json}, /admin/streams/{id}/history/export.*
//
// One file per resource in fcgi/admin/: <resource>.cc (handlers, Register*Routes) and
// <resource>_views.{h,cc} (pure rendering); list.h is the shared list machinery.
//
// 4xx errors on signed-in pages render inside the layout (403, 404, ...); others fall through to
// Dispatch's plain HTML error page.

#include "fcgi/router.h"

namespace sattva::fcgi {

void RegisterAdminRoutes(Router& router);

}  // namespace sattva::fcgi
