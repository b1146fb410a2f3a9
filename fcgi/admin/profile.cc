// The signed-in user's own page: profile fields, password, API tokens.
#include <optional>

#include "common/json.h"
#include "common/password.h"
#include "fcgi/admin/profile_views.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/auth.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
namespace {

// Wrong current passwords allowed per user per hour on the password form.
constexpr int64_t kPasswordGuesses = 10;
constexpr int64_t kPasswordGuessWindowS = 3600;

Response RenderProfile(RequestContext& ctx, const Principal& p, const ProfileForms& forms,
                       int status) {
  std::vector<ApiToken> tokens;
  User me = p.user;
  ctx.Tx([&](pqxx::work& tx) {
    // Fresh from the database: a save that failed may have been after another that did not.
    if (std::optional<User> u = UserStore::FindById(tx, p.user.id)) me = *u;
    tokens = TokenStore::ListForUser(tx, p.user.id);
  });
  Principal current = p;
  current.user = me;
  AdminPage page(PageLayout(ctx, p, "Your profile", "profile", status == 200), "profile.tpl");
  FillProfile(page.body(), current, tokens, forms);
  return page.ToResponse(TemplatesDir(ctx), status);
}

Response ProfilePage(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  return RenderProfile(ctx, p, ProfileFormsFrom(p.user), 200);
}

Response SaveProfile(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  const Query form = CheckedForm(ctx, p);
  ProfileForms f = ProfileFormsFrom(p.user);
  f.display_name = FormValue(form, "display_name");
  f.telegram_id = FormValue(form, "telegram_id");
  bool changed = false;
  try {
    std::optional<int64_t> tg;
    if (!ParseTelegramId(f.telegram_id, &tg)) {
      throw HttpError(422, "validation_failed", "the Telegram ID must be a positive whole number");
    }
    ctx.Tx([&](pqxx::work& tx) {
      std::optional<User> before = UserStore::LockById(tx, p.user.id);
      if (!before) throw HttpError(404, "not_found", "your account no longer exists");
      UserChange c;
      if (f.display_name != before->display_name) c.display_name = f.display_name;
      if (tg != before->telegram_id) c.telegram_id = tg;
      if (!c.display_name && !c.telegram_id) return;
      ApplyUserChange(ctx, tx, p, *before, c);
      changed = true;
    });
  } catch (const HttpError& e) {
    if (e.status() != 409 && e.status() != 422) throw;
    f.profile_error = e.what();
    return RenderProfile(ctx, p, f, e.status());
  }
  SetFlash(ctx, p,
           changed ? MakeFlash("success", "Profile saved.")
                   : MakeFlash("info", "Nothing to save: no field was changed."));
  return SeeOther("/admin/profile");
}

Response ChangePassword(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  const Query form = CheckedForm(ctx, p);
  const std::string current = FormValue(form, "current_password");
  const std::string fresh = FormValue(form, "new_password");
  const std::string confirm = FormValue(form, "confirm_password");
  const std::string guess_key = "pwchange:" + std::to_string(p.user.id);
  ProfileForms f = ProfileFormsFrom(p.user);
  try {
    RateDecision d = ctx.res.limiter.Peek(guess_key, kPasswordGuesses);
    if (!d.allowed) {
      HttpError e(429, "rate_limited",
                  "too many wrong current passwords; try again in " +
                      std::to_string(d.retry_after_s) + " seconds");
      e.headers.emplace_back("Retry-After", std::to_string(d.retry_after_s));
      throw e;
    }
    if (!p.user.has_password || !common::VerifyPassword(p.user.password_hash, current)) {
      ctx.res.limiter.Hit(guess_key, kPasswordGuesses, kPasswordGuessWindowS);
      throw HttpError(422, "validation_failed", "the current password is wrong");
    }
    if (fresh != confirm) {
      throw HttpError(422, "validation_failed", "the two new passwords do not match");
    }
    ValidatePassword(fresh);
    ctx.Tx([&](pqxx::work& tx) {
      std::optional<User> before = UserStore::LockById(tx, p.user.id);
      if (!before) throw HttpError(404, "not_found", "your account no longer exists");
      UserChange c;
      c.password = fresh;
      ApplyUserChange(ctx, tx, p, *before, c);  // keeps this session, ends the others
    });
  } catch (const HttpError& e) {
    if (e.status() != 409 && e.status() != 422 && e.status() != 429) throw;
    f.password_error = e.what();
    Response r = RenderProfile(ctx, p, f, e.status());
    for (const auto& h : e.headers) r.SetHeader(h.first, h.second);
    return r;
  }
  ctx.res.limiter.Reset(guess_key);
  SetFlash(ctx, p, MakeFlash("success", "Password changed. Your other sessions were signed out."));
  return SeeOther("/admin/profile");
}

Response CreateToken(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  const Query form = CheckedForm(ctx, p);
  ProfileForms f = ProfileFormsFrom(p.user);
  f.token_name = FormValue(form, "name");
  const size_t b = f.token_name.find_first_not_of(' ');
  const std::string name = b == std::string::npos
                               ? ""
                               : f.token_name.substr(b, f.token_name.find_last_not_of(' ') - b + 1);
  size_t chars = 0;
  for (unsigned char c : name) chars += (c & 0xC0) != 0x80;
  bool control = false;
  for (unsigned char c : name) control = control || c < 0x20 || c == 0x7F;
  if (name.empty() || chars > 100 || control) {
    f.token_error = "give the token a name of 1 to 100 characters";
    return RenderProfile(ctx, p, f, 422);
  }
  std::string secret;
  ctx.Tx([&](pqxx::work& tx) {
    ApiToken t = TokenStore::Create(tx, p.user.id, name, &secret);
    AuditEntry e = AuditFor(ctx, "token.create", "token", std::to_string(t.id));
    e.changes["name"] = name;
    e.changes["user_id"] = common::JsonInt(p.user.id);
    AuditLog::Write(tx, e);
  });
  SetFlash(ctx, p,
           MakeSecretFlash(
               "Token \u201C" + name + "\u201D created. Copy it now: it will not be shown again.",
               secret));
  return SeeOther("/admin/profile");
}

Response RevokeToken(RequestContext& ctx) {
  const Principal& p = RequireLogin(ctx);
  const int64_t id = AdminPathId(ctx);
  CheckedForm(ctx, p);
  std::string name;
  bool revoked = false;
  ctx.Tx([&](pqxx::work& tx) {
    std::optional<ApiToken> t = TokenStore::Find(tx, id);
    // Someone else's token is "not found": ids leak nothing.
    if (!t || t->user_id != p.user.id) {
      throw HttpError(404, "not_found", "you have no token with ID " + std::to_string(id));
    }
    name = t->name;
    revoked = TokenStore::Revoke(tx, id);
    if (revoked) {
      AuditEntry e = AuditFor(ctx, "token.revoke", "token", std::to_string(id));
      e.changes["name"] = t->name;
      e.changes["user_id"] = common::JsonInt(t->user_id);
      AuditLog::Write(tx, e);
    }
  });
  SetFlash(ctx, p,
           revoked ? MakeFlash("success", "Token \u201C" + name + "\u201D revoked.")
                   : MakeFlash("info", "Token \u201C" + name + "\u201D was already revoked."));
  return SeeOther("/admin/profile");
}

}  // namespace

void RegisterAdminProfileRoutes(Router& router) {
  router.Add("GET", "/admin/profile", AdminHandler(ProfilePage));
  router.Add("POST", "/admin/profile", AdminHandler(SaveProfile));
  router.Add("POST", "/admin/profile/password", AdminHandler(ChangePassword));
  router.Add("POST", "/admin/profile/tokens", AdminHandler(CreateToken));
  router.Add("POST", "/admin/profile/tokens/{id}/revoke", AdminHandler(RevokeToken));
}

}  // namespace sattva::fcgi
