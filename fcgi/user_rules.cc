#include "fcgi/user_rules.h"

#include "common/email.h"
#include "common/json.h"
#include "common/password.h"
#include "fcgi/audit.h"
#include "fcgi/auth.h"

namespace sattva::fcgi {
namespace {

[[noreturn]] void Invalid(const std::string& message) {
  throw HttpError(422, "validation_failed", message);
}

[[noreturn]] void Forbidden(const std::string& message) {
  throw HttpError(403, "forbidden", message);
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool IsSelf(const Principal& actor, const User& target) { return actor.user.id == target.id; }

}  // namespace

void ValidatePassword(const std::string& password) {
  if (!common::IsValidUtf8(password)) Invalid("the password is not valid UTF-8");
  if (password.size() < kMinPasswordLength) {
    Invalid("the password must be at least " + std::to_string(kMinPasswordLength) + " characters");
  }
  if (password.size() > kMaxPasswordLength) Invalid("the password is too long");
}

void ValidateDisplayName(const std::string& name) {
  if (!common::IsValidUtf8(name)) Invalid("display_name is not valid UTF-8");
  if (Utf8Length(name) > 200) Invalid("display_name is longer than 200 characters");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7F) Invalid("display_name contains control characters");
  }
}

bool CanEditUser(const Principal& actor, const User& target) {
  if (IsSelf(actor, target)) return true;
  if (!Can(actor.user.role, Permission::kUsersEdit)) return false;
  if (actor.user.role == Role::kAdmin) return true;
  return target.role == Role::kUser;  // moderators: only plain users
}

bool CanDeleteUser(const Principal& actor, const User& target) {
  if (IsSelf(actor, target)) return false;
  if (!Can(actor.user.role, Permission::kUsersDelete)) return false;
  if (actor.user.role == Role::kAdmin) return true;
  return target.role == Role::kUser;
}

std::vector<Role> AssignableRoles(const Principal& actor, const User& target) {
  if (!Can(actor.user.role, Permission::kUsersChangeRole) || !CanEditUser(actor, target)) return {};
  std::vector<Role> out;
  for (Role r : {Role::kUser, Role::kModerator, Role::kAdmin}) {
    // Nobody raises their own role.
    if (IsSelf(actor, target) && static_cast<int>(r) > static_cast<int>(actor.user.role)) continue;
    out.push_back(r);
  }
  return out;
}

User ApplyUserChange(RequestContext& ctx, pqxx::work& tx, const Principal& actor,
                     const User& target, const UserChange& change) {
  const bool self = IsSelf(actor, target);
  if (!CanEditUser(actor, target)) {
    Forbidden(actor.user.role == Role::kModerator
                  ? "moderators may only edit users whose role is user"
                  : "you may not edit this user");
  }
  UserPatch patch;
  if (change.display_name) {
    ValidateDisplayName(*change.display_name);
    patch.display_name = *change.display_name;
  }
  if (change.telegram_id) {
    if (*change.telegram_id && **change.telegram_id <= 0) Invalid("telegram_id must be positive");
    patch.telegram_id = *change.telegram_id;
  }
  if (change.role) {
    Role r;
    if (!ParseRole(*change.role, &r)) Invalid("role must be admin, moderator or user");
    if (r != target.role) {
      if (!Can(actor.user.role, Permission::kUsersChangeRole)) {
        Forbidden("your role may not change roles");
      }
      if (self && static_cast<int>(r) > static_cast<int>(actor.user.role)) {
        Forbidden("you cannot raise your own role");
      }
      patch.role = r;
    }
  }
  if (change.status) {
    UserStatus st;
    if (!ParseUserStatus(*change.status, &st)) Invalid("status must be active, blocked or deleted");
    if (st != target.status) {
      if (self) Invalid("you cannot change your own status");
      if (st == UserStatus::kDeleted && !CanDeleteUser(actor, target)) {
        Forbidden("you may not delete this user");
      }
      if (target.status == UserStatus::kDeleted && actor.user.role != Role::kAdmin) {
        Forbidden("only admins may restore a deleted user");
      }
      patch.status = st;
    }
  }
  if (change.password) {
    if (!self && !Can(actor.user.role, Permission::kUsersResetPassword)) {
      Forbidden("your role may not reset passwords");
    }
    ValidatePassword(*change.password);
    patch.password_hash = common::HashPassword(*change.password);
  }
  if (patch.empty()) return target;

  User after = UserStore::Update(tx, target, patch);
  std::string action = "user.update";
  if (patch.password_hash) action = self ? "user.password_change" : "user.password_reset";
  if (patch.role) action = "user.role_change";
  if (patch.status) {
    action = *patch.status == UserStatus::kDeleted   ? "user.delete"
             : *patch.status == UserStatus::kBlocked ? "user.block"
                                                     : "user.unblock";
  }
  AuditEntry e = AuditFor(ctx, action, "user", std::to_string(target.id));
  e.changes = UserDiff(target, after);
  AuditLog::Write(tx, e);

  const bool ends_access = patch.status && *patch.status != UserStatus::kActive;
  if (ends_access || patch.password_hash) {
    // A password change by the user keeps the session they made it from.
    const std::string keep =
        self && actor.session && !ends_access ? actor.session->key_hash : std::string();
    ctx.res.sessions.DeleteAllForUser(target.id, keep);
  }
  if (patch.status && *patch.status == UserStatus::kDeleted) {
    TokenStore::RevokeAllForUser(tx, target.id);
  }
  return after;
}

User CreateUserChecked(RequestContext& ctx, pqxx::work& tx, const Principal& actor,
                       const std::string& raw_email, const std::string& display_name,
                       const std::string& role_name, const std::string& password) {
  if (!Can(actor.user.role, Permission::kUsersCreate)) Forbidden("your role may not create users");
  const std::string email = common::NormalizeEmail(raw_email);
  if (!common::IsValidUtf8(raw_email) || !common::IsValidEmail(email)) {
    Invalid("email is not a valid address");
  }
  ValidateDisplayName(display_name);
  Role role;
  if (!ParseRole(role_name, &role)) Invalid("role must be admin, moderator or user");
  if (!password.empty()) ValidatePassword(password);
  User u = UserStore::Create(tx, email, display_name, std::nullopt, role,
                             password.empty() ? "" : common::HashPassword(password));
  AuditEntry e = AuditFor(ctx, "user.create", "user", std::to_string(u.id));
  e.changes["email"] = u.email;
  e.changes["display_name"] = u.display_name;
  e.changes["role"] = RoleName(u.role);
  AuditLog::Write(tx, e);
  return u;
}

void DeleteUserChecked(RequestContext& ctx, pqxx::work& tx, const Principal& actor,
                       const User& target) {
  if (IsSelf(actor, target)) Invalid("you cannot delete yourself");
  if (!CanDeleteUser(actor, target)) {
    Forbidden(actor.user.role == Role::kModerator
                  ? "moderators may only delete users whose role is user"
                  : "you may not delete users");
  }
  if (target.status == UserStatus::kDeleted) return;
  UserChange c;
  c.status = "deleted";
  ApplyUserChange(ctx, tx, actor, target, c);
}

}  // namespace sattva::fcgi
