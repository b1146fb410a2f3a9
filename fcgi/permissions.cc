#include "fcgi/permissions.h"

namespace sattva::fcgi {
namespace {

// The matrix. docs/permissions.md is this table in prose; permissions_test keeps them in step.
const std::vector<PermissionInfo> kTable = {
    // permission, name, description, admin, moderator, user
    {Permission::kStreamsView, "streams.view", "See streams and what is playing", true, true, true},
    {Permission::kStreamsManage, "streams.manage", "Create, edit, start, stop and skip streams",
     true, true, false},
    {Permission::kQueueAdd, "queue.add", "Add tracks to a queue and remove one's own items", true,
     true, true},
    {Permission::kQueueManage, "queue.manage", "Remove anyone's items, move, shuffle, clear",
     true, true, false},
    {Permission::kTracksManage, "tracks.manage", "Register, edit and delete tracks", true, true,
     false},
    {Permission::kUsersView, "users.view", "List and view other users", true, true, false},
    {Permission::kUsersCreate, "users.create", "Create users", true, false, false},
    {Permission::kUsersEdit, "users.edit",
     "Edit other users' profile and status (moderators: only users whose role is user)", true,
     true, false},
    {Permission::kUsersChangeRole, "users.change_role", "Change another user's role", true, false,
     false},
    {Permission::kUsersDelete, "users.delete",
     "Delete users (moderators: only users whose role is user)", true, true, false},
    {Permission::kUsersResetPassword, "users.reset_password", "Set another user's password", true,
     false, false},
    {Permission::kTokensManageAny, "tokens.manage_any", "Create and revoke API tokens for anyone",
     true, false, false},
    {Permission::kAuditView, "audit.view", "Read the audit log", true, false, false},
};

}  // namespace

const char* RoleName(Role r) {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kModerator:
      return "moderator";
    case Role::kUser:
      return "user";
  }
  return "user";
}

bool ParseRole(const std::string& s, Role* out) {
  if (s == "admin") {
    *out = Role::kAdmin;
  } else if (s == "moderator") {
    *out = Role::kModerator;
  } else if (s == "user") {
    *out = Role::kUser;
  } else {
    return false;
  }
  return true;
}

const std::vector<PermissionInfo>& PermissionTable() { return kTable; }

const char* PermissionName(Permission p) {
  for (const auto& i : kTable) {
    if (i.permission == p) return i.name;
  }
  return "?";
}

bool Can(Role role, Permission p) {
  for (const auto& i : kTable) {
    if (i.permission != p) continue;
    switch (role) {
      case Role::kAdmin:
        return i.admin;
      case Role::kModerator:
        return i.moderator;
      case Role::kUser:
        return i.user;
    }
  }
  return false;
}

std::vector<std::string> PermissionNames(Role role) {
  std::vector<std::string> out;
  for (const auto& i : kTable) {
    if (Can(role, i.permission)) out.push_back(i.name);
  }
  return out;
}

}  // namespace sattva::fcgi
