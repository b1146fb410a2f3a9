#include "fcgi/permissions.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "fcgi/user_rules.h"

namespace sattva::fcgi {
namespace {

Principal As(int64_t id, Role role) {
  Principal p;
  p.user.id = id;
  p.user.role = role;
  return p;
}

User Target(int64_t id, Role role) {
  User u;
  u.id = id;
  u.role = role;
  return u;
}

TEST(PermissionsTest, MatrixMatchesTheIssue) {
  EXPECT_TRUE(Can(Role::kAdmin, Permission::kAuditView));
  EXPECT_FALSE(Can(Role::kModerator, Permission::kAuditView));
  EXPECT_TRUE(Can(Role::kModerator, Permission::kUsersView));
  EXPECT_FALSE(Can(Role::kModerator, Permission::kUsersChangeRole));
  EXPECT_TRUE(Can(Role::kModerator, Permission::kStreamsManage));
  EXPECT_TRUE(Can(Role::kUser, Permission::kQueueAdd));
  EXPECT_FALSE(Can(Role::kUser, Permission::kQueueManage));
  EXPECT_FALSE(Can(Role::kUser, Permission::kUsersView));
  for (const auto& i : PermissionTable()) EXPECT_TRUE(Can(Role::kAdmin, i.permission)) << i.name;
}

TEST(PermissionsTest, DocsListEveryPermissionWithTheSameCells) {
  std::ifstream in(std::string(SATTVA_SOURCE_DIR) + "/docs/permissions.md");
  ASSERT_TRUE(in) << "docs/permissions.md is missing";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  auto yn = [](bool b) { return b ? "yes" : "no"; };
  for (const auto& i : PermissionTable()) {
    std::string row = std::string("| `") + i.name + "` | " + yn(i.admin) + " | " +
                      yn(i.moderator) + " | " + yn(i.user) + " | " + i.description + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/permissions.md lacks: " << row;
  }
}

TEST(PermissionsTest, RoleNamesRoundTrip) {
  for (Role r : {Role::kAdmin, Role::kModerator, Role::kUser}) {
    Role back;
    ASSERT_TRUE(ParseRole(RoleName(r), &back));
    EXPECT_EQ(back, r);
  }
  Role r;
  EXPECT_FALSE(ParseRole("Admin", &r));
  EXPECT_FALSE(ParseRole("", &r));
}

TEST(UserRulesTest, ModeratorsTouchOnlyPlainUsers) {
  Principal mod = As(2, Role::kModerator);
  EXPECT_TRUE(CanEditUser(mod, Target(3, Role::kUser)));
  EXPECT_FALSE(CanEditUser(mod, Target(1, Role::kAdmin)));
  EXPECT_FALSE(CanEditUser(mod, Target(4, Role::kModerator)));
  EXPECT_TRUE(CanEditUser(mod, Target(2, Role::kModerator)));  // itself
  EXPECT_TRUE(CanDeleteUser(mod, Target(3, Role::kUser)));
  EXPECT_FALSE(CanDeleteUser(mod, Target(1, Role::kAdmin)));
  EXPECT_FALSE(CanDeleteUser(mod, Target(2, Role::kModerator)));  // not itself
  EXPECT_TRUE(AssignableRoles(mod, Target(3, Role::kUser)).empty());
}

TEST(UserRulesTest, UsersTouchOnlyThemselves) {
  Principal user = As(5, Role::kUser);
  EXPECT_TRUE(CanEditUser(user, Target(5, Role::kUser)));
  EXPECT_FALSE(CanEditUser(user, Target(6, Role::kUser)));
  EXPECT_FALSE(CanDeleteUser(user, Target(6, Role::kUser)));
  EXPECT_TRUE(AssignableRoles(user, Target(5, Role::kUser)).empty());
}

TEST(UserRulesTest, AdminsAssignAnyRoleButNeverRaiseThemselves) {
  Principal admin = As(1, Role::kAdmin);
  EXPECT_EQ(AssignableRoles(admin, Target(9, Role::kUser)).size(), 3u);
  // An admin is already at the top: all three remain (lowering is allowed).
  EXPECT_EQ(AssignableRoles(admin, Target(1, Role::kAdmin)).size(), 3u);
  EXPECT_FALSE(CanDeleteUser(admin, Target(1, Role::kAdmin)));
  EXPECT_TRUE(CanDeleteUser(admin, Target(7, Role::kAdmin)));
}

TEST(UserRulesTest, ValidationMessages) {
  EXPECT_NO_THROW(ValidateDisplayName("\xF0\x9F\x8E\xB5 DJ \xD7\xA2"));
  EXPECT_THROW(ValidateDisplayName("a\tb"), HttpError);
  EXPECT_THROW(ValidateDisplayName(std::string(201, 'x')), HttpError);
  EXPECT_NO_THROW(ValidateDisplayName(std::string(200, 'x')));
  EXPECT_THROW(ValidateDisplayName("\xC3"), HttpError);
  EXPECT_THROW(ValidatePassword("short"), HttpError);
  EXPECT_NO_THROW(ValidatePassword("long enough pw"));
  EXPECT_THROW(ValidatePassword(std::string(2000, 'x')), HttpError);
}

}  // namespace
}  // namespace sattva::fcgi
