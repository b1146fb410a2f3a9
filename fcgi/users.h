#pragma once
// Users in PostgreSQL. Every method runs on the caller's connection (one per thread; not
// thread-safe). Writes take the caller's transaction so the change and its audit row commit
// together.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

#include "fcgi/api_tokens.h"
#include "fcgi/permissions.h"

namespace sattva::fcgi {

enum class UserStatus { kActive, kBlocked, kDeleted };
const char* UserStatusName(UserStatus s);
bool ParseUserStatus(const std::string& s, UserStatus* out);

struct User {
  int64_t id = 0;
  std::string email;
  std::string display_name;
  std::optional<int64_t> telegram_id;
  Role role = Role::kUser;
  UserStatus status = UserStatus::kActive;
  std::string created_at;     // ISO-8601 UTC
  std::string updated_at;
  std::string last_login_at;  // "" when never
  bool has_password = false;
  // Never leaves the server: not in ToJson, not audited.
  std::string password_hash;

  // {id,email,display_name,telegram_id,role,status,created_at,updated_at,last_login_at}
  Json::Value ToJson() const;
};

struct UserQuery {
  std::string q;  // substring of email or display name, case-insensitive; LIKE wildcards literal
  std::optional<Role> role;
  // Unset: active and blocked (deleted users only when asked for).
  std::optional<UserStatus> status;
  std::string sort = "id";  // id | email | display_name | role | status | created_at | last_login_at
  bool descending = false;
  int page = 1;             // 1-based
  int per_page = 20;        // 1..100
};

struct UserPage {
  std::vector<User> items;
  int64_t total = 0;
};

// A partial update. Unset fields are left alone.
struct UserPatch {
  std::optional<std::string> email;
  std::optional<std::string> display_name;
  std::optional<std::optional<int64_t>> telegram_id;  // set to nullopt-inside to clear
  std::optional<Role> role;
  std::optional<UserStatus> status;
  std::optional<std::string> password_hash;
  bool empty() const {
    return !email && !display_name && !telegram_id && !role && !status && !password_hash;
  }
};

class UserStore {
 public:
  static std::optional<User> FindById(pqxx::transaction_base& tx, int64_t id);
  static std::optional<User> FindByEmail(pqxx::transaction_base& tx, const std::string& email);
  // The live token with this SHA-256 and its owner, in one prepared query (every bearer request
  // asks). Sets *stale when the token's last_used_at is over a minute old.
  static std::optional<std::pair<User, ApiToken>> FindByToken(pqxx::transaction_base& tx,
                                                              const std::string& token_hash,
                                                              bool* stale);
  // Locks the row (SELECT ... FOR UPDATE).
  static std::optional<User> LockById(pqxx::transaction_base& tx, int64_t id);
  // Throws std::invalid_argument for a sort key outside the whitelist.
  static UserPage List(pqxx::transaction_base& tx, const UserQuery& q);
  // Every user List would show for `q` (same filters and order; page and per_page ignored),
  // read through a server-side cursor (exports). Password hashes are not read. `fn` returning
  // false stops. Throws std::invalid_argument for a sort key outside the whitelist.
  static void ForEach(pqxx::transaction_base& tx, const UserQuery& q,
                      const std::function<bool(const User&)>& fn);
  // Inserts and returns the new user. Throws HttpError 409 (code "conflict") when the email or
  // telegram_id is taken.
  static User Create(pqxx::transaction_base& tx, const std::string& email,
                     const std::string& display_name, std::optional<int64_t> telegram_id,
                     Role role, const std::string& password_hash);
  // Applies `patch` to the locked row and returns the updated user. Enforces the last-admin
  // invariant: if it would leave no active admin it throws HttpError 409
  // ("last_admin"). Throws HttpError 409 on a taken email or telegram_id.
  static User Update(pqxx::transaction_base& tx, const User& before, const UserPatch& patch);
  static void TouchLastLogin(pqxx::transaction_base& tx, int64_t id);
  static int64_t CountActiveAdmins(pqxx::transaction_base& tx);
  // Counts by role and status for the dashboard: {"total","active","blocked","admin",...}.
  static Json::Value Counts(pqxx::transaction_base& tx);
};

// What changed between two user states, for the audit log: {"field":{"from":..,"to":..}}.
// Passwords appear only as "password":"changed"; hashes never.
Json::Value UserDiff(const User& before, const User& after);

}  // namespace sattva::fcgi
