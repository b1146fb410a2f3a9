#include "fcgi/admin/profile_views.h"

#include "fcgi/admin/view_helpers.h"
#include "fcgi/admin/views.h"
#include "fcgi/permissions.h"
#include "fcgi/templates.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
using namespace views;
using ctemplate::TemplateDictionary;

// --- Profile --------------------------------------------------------------------------------

ProfileForms ProfileFormsFrom(const User& u) {
  ProfileForms f;
  f.display_name = u.display_name;
  f.telegram_id = TelegramText(u.telegram_id);
  return f;
}

void FillProfile(TemplateDictionary* d, const Principal& me, const std::vector<ApiToken>& tokens,
                 const ProfileForms& forms) {
  d->SetValue("EMAIL", me.user.email);
  d->SetValue("ROLE", RoleName(me.user.role));
  SetTime(d, "CREATED_AT", me.user.created_at);
  SetOptionalTime(d, "LAST_LOGIN", me.user.last_login_at);
  d->SetValue("DISPLAY_NAME", forms.display_name);
  d->SetValue("TELEGRAM_ID", forms.telegram_id);
  AddError(d, "PROFILE_ERROR", forms.profile_error);
  AddError(d, "PASSWORD_ERROR", forms.password_error);
  d->SetIntValue("MIN", static_cast<long>(kMinPasswordLength));
  if (me.user.has_password) {
    d->ShowSection("HAS_PASSWORD");
  } else {
    d->ShowSection("NO_PASSWORD");
  }
  for (const PermissionInfo& i : PermissionTable()) {
    if (Can(me.user.role, i.permission)) {
      d->AddSectionDictionary("PERMISSION")->SetValue("TEXT", i.description);
    }
  }
  d->SetValue("TOKEN_NAME", forms.token_name);
  AddError(d, "TOKEN_ERROR", forms.token_error);
  if (tokens.empty()) {
    d->ShowSection("NO_TOKENS");
  } else {
    TemplateDictionary* t = d->AddSectionDictionary("TOKENS");
    for (const ApiToken& k : tokens) {
      TemplateDictionary* row = t->AddSectionDictionary("TOKEN");
      row->SetValue("ID", std::to_string(k.id));
      row->SetValue("NAME", k.name);
      SetTime(row, "CREATED_AT", k.created_at);
      SetOptionalTime(row, "LAST_USED", k.last_used_at);
      if (k.revoked_at.empty()) {
        row->ShowSection("LIVE");
      } else {
        row->AddSectionDictionary("REVOKED")->SetValue("TEXT", FormatTime(k.revoked_at));
      }
    }
  }
}

}  // namespace sattva::fcgi
