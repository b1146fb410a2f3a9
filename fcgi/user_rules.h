#pragma once
// The business rules for changing users, shared by the REST API and the admin pages. Each
// function validates (422), authorizes (403), enforces the invariants (409: the last active admin
// stays; nobody raises their own role), applies the change in `tx`, writes the audit row in the
// same transaction, and ends sessions and tokens where the change demands it.

#include <optional>
#include <string>
#include <vector>

#include "fcgi/context.h"

namespace sattva::fcgi {

struct UserChange {
  std::optional<std::string> display_name;
  std::optional<std::optional<int64_t>> telegram_id;  // an empty inner optional clears it
  std::optional<std::string> role;
  std::optional<std::string> status;
  // A new password. For another user it needs users.reset_password; for oneself the caller must
  // have verified the current password first.
  std::optional<std::string> password;
};

inline constexpr size_t kMinPasswordLength = 10;
inline constexpr size_t kMaxPasswordLength = 1024;

// Audits "user.delete", "user.block", "user.unblock", "user.role_change", "user.password_reset"
// or "user.update" (the most significant change wins; the row carries the whole diff).
User ApplyUserChange(RequestContext& ctx, pqxx::work& tx, const Principal& actor,
                     const User& target, const UserChange& change);
// Audits "user.create". An empty password leaves the user unable to log in with a password.
User CreateUserChecked(RequestContext& ctx, pqxx::work& tx, const Principal& actor,
                       const std::string& email, const std::string& display_name,
                       const std::string& role, const std::string& password);
// Soft delete: status deleted, sessions ended, tokens revoked. Audits "user.delete". Deleting a
// user already deleted changes nothing.
void DeleteUserChecked(RequestContext& ctx, pqxx::work& tx, const Principal& actor,
                       const User& target);

// The roles `actor` may give `target` (empty when it may not change the role at all).
std::vector<Role> AssignableRoles(const Principal& actor, const User& target);
bool CanEditUser(const Principal& actor, const User& target);
bool CanDeleteUser(const Principal& actor, const User& target);
// 422 unless 10..1024 bytes of valid UTF-8.
void ValidatePassword(const std::string& password);
// 422 unless <= 200 characters of valid UTF-8 without control characters.
void ValidateDisplayName(const std::string& name);

}  // namespace sattva::fcgi
