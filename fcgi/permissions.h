#pragma once
// Roles and the permission matrix: one table in code (permissions.cc), written out in
// docs/permissions.md. A test keeps the two in step. Thread-safe (constant data).

#include <string>
#include <vector>

namespace sattva::fcgi {

enum class Role { kUser = 0, kModerator = 1, kAdmin = 2 };

// "admin" | "moderator" | "user"; ParseRole returns false for anything else.
const char* RoleName(Role r);
bool ParseRole(const std::string& s, Role* out);

enum class Permission {
  kStreamsView,      // see streams and what is playing
  kStreamsManage,    // create, edit, start, stop, skip streams
  kQueueAdd,         // add tracks to a queue; remove one's own items
  kQueueManage,      // remove anyone's items, move, shuffle, clear
  kTracksManage,     // register, edit, delete tracks
  kUsersView,        // list and view other users
  kUsersCreate,      // create users
  kUsersEdit,        // edit other users' profile and status (moderators: role-user targets only)
  kUsersChangeRole,  // change another user's role
  kUsersDelete,      // soft-delete users (moderators: role-user targets only)
  kUsersResetPassword,  // set another user's password
  kTokensManageAny,  // create and revoke API tokens for any user
  kAuditView,        // read the audit log
};

struct PermissionInfo {
  Permission permission;
  const char* name;  // "users.edit"
  const char* description;
  bool admin, moderator, user;
};

const std::vector<PermissionInfo>& PermissionTable();
const char* PermissionName(Permission p);
bool Can(Role role, Permission p);
// The permissions a role has, by name, for /auth/me and the UI.
std::vector<std::string> PermissionNames(Role role);

}  // namespace sattva::fcgi
