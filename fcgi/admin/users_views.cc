#include "fcgi/admin/users_views.h"

#include "fcgi/admin/view_helpers.h"
#include "fcgi/admin/views.h"
#include "fcgi/permissions.h"
#include "fcgi/templates.h"
#include "fcgi/user_rules.h"

namespace sattva::fcgi {
using namespace views;
using ctemplate::TemplateDictionary;


// --- Users list -----------------------------------------------------------------------------

const ListSpec& UsersListSpec() {
  static const ListSpec spec = [] {
    ListSpec l;
    l.base_url = "/admin/users";
    l.columns = {{"id", "ID"},
                 {"email", "Email"},
                 {"display_name", "Name"},
                 {"role", "Role"},
                 {"status", "Status"},
                 {"created_at", "Created", true},  // times read best newest first
                 {"last_login_at", "Last login", true}};
    l.filters = {
        {"q", {}, "", 200},
        {"role", {{"admin", "Admin"}, {"moderator", "Moderator"}, {"user", "User"}}, "Any role"},
        {"status",
         {{"active", "Active"}, {"blocked", "Blocked"}, {"deleted", "Deleted"}},
         "Active and blocked"}};
    l.noun_one = "user";
    l.noun_many = "users";
    return l;
  }();
  return spec;
}

UsersListParams UsersListParams::Parse(const Query& query) {
  UsersListParams p;
  static_cast<ListParams&>(p) = ListParams::Parse(UsersListSpec(), query);
  return p;
}

UserQuery UsersListParams::ToQuery() const {
  UserQuery q;
  q.q = Filter("q");
  Role r;
  if (ParseRole(Filter("role"), &r)) q.role = r;
  UserStatus s;
  if (ParseUserStatus(Filter("status"), &s)) q.status = s;
  q.sort = sort;
  q.descending = descending();
  q.page = page;
  q.per_page = per_page;
  return q;
}

void FillUsersList(TemplateDictionary* d, const Principal& viewer, const UsersListParams& params,
                   const UserPage& page) {
  params.FillForm(d);
  if (Can(viewer.user.role, Permission::kUsersCreate)) d->ShowSection("CAN_CREATE");

  if (page.items.empty()) {
    d->ShowSection("EMPTY");
  } else {
    TemplateDictionary* t = d->AddSectionDictionary("TABLE");
    params.FillColumns(t, "COLUMNS");
    for (const User& u : page.items) {
      TemplateDictionary* row = t->AddSectionDictionary("ROW");
      row->SetValue("ID", std::to_string(u.id));
      row->SetValue("EMAIL", u.email);
      row->SetValue("DISPLAY_NAME", u.display_name);
      row->SetValue("ROLE", RoleName(u.role));
      row->SetValue("STATUS", UserStatusName(u.status));
      SetTime(row, "CREATED_AT", u.created_at);
      SetOptionalTime(row, "LAST_LOGIN", u.last_login_at);
    }
  }
  params.FillFooter(d, page.total, page.items.size());
}

// --- One user -------------------------------------------------------------------------------

UserForm UserFormFrom(const User& u) {
  UserForm f;
  f.display_name = u.display_name;
  f.telegram_id = TelegramText(u.telegram_id);
  f.role = RoleName(u.role);
  f.status = UserStatusName(u.status);
  return f;
}

void FillRoleOptions(TemplateDictionary* d, const std::string& section,
                     const std::vector<Role>& roles, const std::string& current) {
  for (Role r : roles) AddOption(d, section, RoleName(r), Capitalized(RoleName(r)), current);
}

void FillUserPage(TemplateDictionary* d, const Principal& actor, const User& target,
                  const UserForm& form) {
  const bool self = actor.user.id == target.id;
  d->SetValue("ID", std::to_string(target.id));
  d->SetValue("EMAIL", target.email);
  d->SetValue("HEADING", target.display_name.empty() ? target.email : target.display_name);
  if (!target.display_name.empty()) d->ShowSection("SUBTITLE_EMAIL");
  d->SetValue("ROLE", RoleName(target.role));
  d->SetValue("STATUS", UserStatusName(target.status));
  d->SetValue("TELEGRAM_ID_TEXT",
              target.telegram_id ? std::to_string(*target.telegram_id) : std::string("—"));
  d->SetValue("PASSWORD_TEXT", target.has_password ? "Set" : "Not set (cannot log in with one)");
  SetTime(d, "CREATED_AT", target.created_at);
  SetTime(d, "UPDATED_AT", target.updated_at);
  SetOptionalTime(d, "LAST_LOGIN", target.last_login_at);
  if (self) d->ShowSection("SELF");

  if (CanEditUser(actor, target)) {
    TemplateDictionary* e = d->AddSectionDictionary("EDIT");
    AddError(e, "ERROR", form.error);
    e->SetValue("DISPLAY_NAME", form.display_name);
    e->SetValue("TELEGRAM_ID", form.telegram_id);
    if (!self) {
      TemplateDictionary* s = e->AddSectionDictionary("STATUS_SELECT");
      AddOption(s, "OPT", "active", "Active", form.status);
      AddOption(s, "OPT", "blocked", "Blocked (cannot log in; sessions end)", form.status);
      if (target.status == UserStatus::kDeleted) {
        AddOption(s, "OPT", "deleted", "Deleted", form.status);
      }
    }
    const std::vector<Role> roles = AssignableRoles(actor, target);
    if (!roles.empty()) {
      FillRoleOptions(e->AddSectionDictionary("ROLE_SELECT"), "OPT", roles, form.role);
    }
    if (!self && Can(actor.user.role, Permission::kUsersResetPassword)) {
      e->AddSectionDictionary("PASSWORD")
          ->SetIntValue("MIN", static_cast<long>(kMinPasswordLength));
    }
  } else {
    d->AddSectionDictionary("READ_ONLY")
        ->SetValue("TEXT", actor.user.role == Role::kModerator
                               ? "Moderators can view admins and moderators but not change them."
                               : "You can view this user but not change them.");
  }
  if (target.status != UserStatus::kDeleted && CanDeleteUser(actor, target)) {
    d->ShowSection("DELETE");
  }
  if (Can(actor.user.role, Permission::kAuditView)) {
    d->AddSectionDictionary("AUDIT_LINK")
        ->SetValue("HREF",
                   "/admin/audit?" + BuildQueryString({{"target_type", "user"},
                                                       {"target_id", std::to_string(target.id)}}));
  }
}

std::vector<Role> GrantableRoles(const Principal& actor) {
  User fresh;  // a user that does not exist yet
  fresh.id = 0;
  fresh.role = Role::kUser;
  std::vector<Role> roles = AssignableRoles(actor, fresh);
  if (roles.empty()) roles.push_back(Role::kUser);
  return roles;
}

void FillNewUser(TemplateDictionary* d, const Principal& actor, const NewUserForm& f) {
  AddError(d, "ERROR", f.error);
  d->SetValue("EMAIL", f.email);
  d->SetValue("DISPLAY_NAME", f.display_name);
  FillRoleOptions(d, "ROLE_OPT", GrantableRoles(actor), f.role);
  d->SetIntValue("MIN", static_cast<long>(kMinPasswordLength));
}

void FillDeleteUser(TemplateDictionary* d, const User& target) {
  d->SetValue("ID", std::to_string(target.id));
  d->SetValue("EMAIL", target.email);
  d->SetValue("DISPLAY_NAME", target.display_name.empty() ? "—" : target.display_name);
  d->SetValue("ROLE", RoleName(target.role));
  d->SetValue("STATUS", UserStatusName(target.status));
}

}  // namespace sattva::fcgi
