// The admin users pages: list, create, view/edit, delete. The rules (who may change what, the
// last-admin invariant, auditing, ending sessions) live in fcgi/user_rules.h.
#include <optional>

#include "common/password.h"
#include "fcgi/admin/users_views.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/auth.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
namespace {

bool Has(const Query& form, const std::string& key) { return form.find(key) != form.end(); }

User LoadUser(RequestContext& ctx, int64_t id) {
  std::optional<User> u;
  ctx.Tx([&](pqxx::work& tx) { u = UserStore::FindById(tx, id); });
  if (!u) throw HttpError(404, "not_found", "there is no user with ID " + std::to_string(id));
  return *u;
}

// The fields of the edit form that differ from `before`. Throws 422 for a malformed field.
UserChange ChangeFromForm(const Principal& actor, const User& before, const Query& form) {
  UserChange c;
  if (Has(form, "display_name")) {
    std::string name = FormValue(form, "display_name");
    if (name != before.display_name) c.display_name = name;
  }
  if (Has(form, "telegram_id")) {
    std::optional<int64_t> tg;
    if (!ParseTelegramId(FormValue(form, "telegram_id"), &tg)) {
      throw HttpError(422, "validation_failed", "the Telegram ID must be a positive whole number");
    }
    if (tg != before.telegram_id) c.telegram_id = tg;
  }
  if (Has(form, "role")) {
    std::string role = FormValue(form, "role");
    if (role != RoleName(before.role)) c.role = role;
  }
  if (Has(form, "status")) {
    std::string status = FormValue(form, "status");
    if (status != UserStatusName(before.status)) c.status = status;
  }
  if (std::string pw = FormValue(form, "password"); !pw.empty()) {
    if (actor.user.id == before.id) {
      throw HttpError(422, "validation_failed",
                      "change your own password on your profile page, where it asks for the "
                      "current one");
    }
    c.password = pw;
  }
  return c;
}

bool Empty(const UserChange& c) {
  return !c.display_name && !c.telegram_id && !c.role && !c.status && !c.password;
}

Response RenderUserPage(RequestContext& ctx, const Principal& p, const User& u,
                        const UserForm& form, int status) {
  AdminPage page(PageLayout(ctx, p, u.email, "users", status == 200), "user_edit.tpl");
  FillUserPage(page.body(), p, u, form);
  return page.ToResponse(TemplatesDir(ctx), status);
}

// --- Handlers -------------------------------------------------------------------------------

Response UsersList(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kUsersView);
  const UsersListParams params = UsersListParams::Parse(ctx.req.query);
  UserPage result;
  ctx.Tx([&](pqxx::work& tx) { result = UserStore::List(tx, params.ToQuery()); });
  AdminPage page(PageLayout(ctx, p, "Users", "users"), "users_list.tpl");
  FillUsersList(page.body(), p, params, result);
  return page.ToResponse(TemplatesDir(ctx));
}

Response NewUserPage(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kUsersCreate);
  AdminPage page(PageLayout(ctx, p, "New user", "users"), "user_new.tpl");
  FillNewUser(page.body(), p, NewUserForm());
  return page.ToResponse(TemplatesDir(ctx));
}

Response CreateUser(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kUsersCreate);
  const Query form = CheckedForm(ctx, p);
  NewUserForm f;
  f.email = FormValue(form, "email");
  f.display_name = FormValue(form, "display_name");
  if (Has(form, "role")) f.role = FormValue(form, "role");
  std::string password = FormValue(form, "password");
  const bool generated = password.empty();
  if (generated) password = common::RandomToken(12);
  User created;
  try {
    ctx.Tx([&](pqxx::work& tx) {
      created = CreateUserChecked(ctx, tx, p, f.email, f.display_name, f.role, password);
    });
  } catch (const HttpError& e) {
    if (e.status() != 409 && e.status() != 422) throw;
    f.error = e.what();
    AdminPage page(PageLayout(ctx, p, "New user", "users", false), "user_new.tpl");
    FillNewUser(page.body(), p, f);
    return page.ToResponse(TemplatesDir(ctx), e.status());
  }
  SetFlash(ctx, p,
           generated ? MakeSecretFlash("User " + created.email +
                                           " created. Their generated password is below: pass it "
                                           "on now, it will not be shown again.",
                                       password)
                     : MakeFlash("success", "User " + created.email + " created."));
  return SeeOther("/admin/users/" + std::to_string(created.id));
}

Response ShowUser(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  const int64_t id = AdminPathId(ctx);
  if (!Can(p.user.role, Permission::kUsersView)) {
    if (id == p.user.id) return SeeOther("/admin/profile");
    RequirePermission(ctx, Permission::kUsersView);  // throws 403
  }
  const User u = LoadUser(ctx, id);
  return RenderUserPage(ctx, p, u, UserFormFrom(u), 200);
}

Response SaveUser(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kUsersView);
  const int64_t id = AdminPathId(ctx);
  const Query form = CheckedForm(ctx, p);
  bool changed = false;
  std::string email;
  try {
    ctx.Tx([&](pqxx::work& tx) {
      std::optional<User> before = UserStore::LockById(tx, id);
      if (!before) {
        throw HttpError(404, "not_found", "there is no user with ID " + std::to_string(id));
      }
      email = before->email;
      if (!CanEditUser(p, *before)) {
        throw HttpError(403, "forbidden",
                        p.user.role == Role::kModerator
                            ? "moderators may only edit users whose role is user"
                            : "you may not edit this user");
      }
      const UserChange c = ChangeFromForm(p, *before, form);
      if (Empty(c)) return;
      ApplyUserChange(ctx, tx, p, *before, c);
      changed = true;
    });
  } catch (const HttpError& e) {
    if (e.status() != 409 && e.status() != 422) throw;
    const User u = LoadUser(ctx, id);
    UserForm f = UserFormFrom(u);
    for (auto [key, field] : {std::pair<const char*, std::string*>{"display_name", &f.display_name},
                              {"telegram_id", &f.telegram_id},
                              {"role", &f.role},
                              {"status", &f.status}}) {
      if (Has(form, key)) *field = FormValue(form, key);
    }
    f.error = e.what();
    return RenderUserPage(ctx, p, u, f, e.status());
  }
  SetFlash(ctx, p,
           changed ? MakeFlash("success", "Saved the changes to " + email + ".")
                   : MakeFlash("info", "Nothing to save: no field was changed."));
  return SeeOther("/admin/users/" + std::to_string(id));
}

Response DeleteUserPage(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kUsersDelete);
  const int64_t id = AdminPathId(ctx);
  const User u = LoadUser(ctx, id);
  if (u.status == UserStatus::kDeleted) {
    SetFlash(ctx, p, MakeFlash("info", u.email + " is already deleted."));
    return SeeOther("/admin/users/" + std::to_string(id));
  }
  if (!CanDeleteUser(p, u)) {
    throw HttpError(403, "forbidden",
                    p.user.id == u.id ? "you cannot delete yourself"
                    : p.user.role == Role::kModerator
                        ? "moderators may only delete users whose role is user"
                        : "you may not delete this user");
  }
  AdminPage page(PageLayout(ctx, p, "Delete " + u.email, "users"), "user_delete.tpl");
  FillDeleteUser(page.body(), u);
  return page.ToResponse(TemplatesDir(ctx));
}

Response DeleteUser(RequestContext& ctx) {
  const Principal& p = RequirePermission(ctx, Permission::kUsersDelete);
  const int64_t id = AdminPathId(ctx);
  CheckedForm(ctx, p);
  std::string email;
  ctx.Tx([&](pqxx::work& tx) {
    std::optional<User> u = UserStore::LockById(tx, id);
    if (!u) throw HttpError(404, "not_found", "there is no user with ID " + std::to_string(id));
    email = u->email;
    DeleteUserChecked(ctx, tx, p, *u);
  });
  SetFlash(ctx, p, MakeFlash("success", "User " + email + " deleted."));
  return SeeOther("/admin/users");
}

}  // namespace

void RegisterAdminUserRoutes(Router& router) {
  router.Add("GET", "/admin/users", AdminHandler(UsersList));
  router.Add("POST", "/admin/users", AdminHandler(CreateUser));
  router.Add("GET", "/admin/users/new", AdminHandler(NewUserPage));
  router.Add("GET", "/admin/users/{id}", AdminHandler(ShowUser));
  router.Add("POST", "/admin/users/{id}", AdminHandler(SaveUser));
  router.Add("GET", "/admin/users/{id}/delete", AdminHandler(DeleteUserPage));
  router.Add("POST", "/admin/users/{id}/delete", AdminHandler(DeleteUser));
}

}  // namespace sattva::fcgi
