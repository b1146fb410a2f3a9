#pragma once
// The users pages' views (fcgi/admin/users.cc): data in, HTML out. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include <ctemplate/template.h>

#include "fcgi/admin/list.h"
#include "fcgi/context.h"
#include "fcgi/users.h"

namespace sattva::fcgi {

// --- Users list -----------------------------------------------------------------------------

// The users list: q (email or name), role, status; sort by any column; paged. Built on the
// shared list machinery (fcgi/admin/list.h).
const ListSpec& UsersListSpec();
struct UsersListParams : ListParams {
  // From the query string. Throws HttpError 422 ("validation_failed") naming the bad parameter.
  static UsersListParams Parse(const Query& query);
  UserQuery ToQuery() const;
};
void FillUsersList(ctemplate::TemplateDictionary* d, const Principal& viewer,
                   const UsersListParams& params, const UserPage& page);

// --- One user -------------------------------------------------------------------------------

// The edit form's values: as typed (re-rendered after an error) or from the user.
struct UserForm {
  std::string display_name;
  std::string telegram_id;
  std::string role;
  std::string status;
  std::string error;
};
UserForm UserFormFrom(const User& u);
// The user page: facts, and the edit form when the actor may edit (role choices only from
// AssignableRoles; a password field only for users.reset_password on someone else).
void FillUserPage(ctemplate::TemplateDictionary* d, const Principal& actor, const User& target,
                  const UserForm& form);
// Adds one `section` dictionary per role in `roles` (VALUE, LABEL, SELECTED when == current).
void FillRoleOptions(ctemplate::TemplateDictionary* d, const std::string& section,
                     const std::vector<Role>& roles, const std::string& current);

struct NewUserForm {
  std::string email;
  std::string display_name;
  std::string role = "user";
  std::string error;
};
// The roles `actor` may give a new user (at least "user").
std::vector<Role> GrantableRoles(const Principal& actor);
void FillNewUser(ctemplate::TemplateDictionary* d, const Principal& actor, const NewUserForm& f);
void FillDeleteUser(ctemplate::TemplateDictionary* d, const User& target);

}  // namespace sattva::fcgi
