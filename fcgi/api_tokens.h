#pragma once
// API tokens ("Authorization: Bearer sat_..."). Only the SHA-256 of a token is stored; the token
// itself is returned once, by Create. Runs on the caller's transaction (not thread-safe).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>
#include <pqxx/pqxx>

namespace sattva::fcgi {

struct ApiToken {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string name;
  std::string created_at;
  std::string last_used_at;  // "" when never
  std::string revoked_at;    // "" when live
  Json::Value ToJson() const;  // never includes the token or its hash
};

class TokenStore {
 public:
  // Returns the new token's row and sets *token to the secret ("sat_" + 43 base64url chars).
  static ApiToken Create(pqxx::transaction_base& tx, int64_t user_id, const std::string& name,
                         std::string* token);
  // The live (unrevoked, unexpired) token for a secret; updates last_used_at at most once a
  // minute.
  static std::optional<ApiToken> Authenticate(pqxx::transaction_base& tx, const std::string& token);
  // Records a use now (callers do it at most once a minute per token).
  static void TouchLastUsed(pqxx::transaction_base& tx, int64_t id);
  static std::vector<ApiToken> ListForUser(pqxx::transaction_base& tx, int64_t user_id);
  static std::optional<ApiToken> Find(pqxx::transaction_base& tx, int64_t id);
  // Returns false when it was already revoked.
  static bool Revoke(pqxx::transaction_base& tx, int64_t id);
  static int RevokeAllForUser(pqxx::transaction_base& tx, int64_t user_id);
  // The ids among |ids| of tokens that are still live (unrevoked, unexpired). One query.
  static std::vector<int64_t> LiveAmong(pqxx::transaction_base& tx, const std::vector<int64_t>& ids);
};

}  // namespace sattva::fcgi
