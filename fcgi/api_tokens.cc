#include "fcgi/api_tokens.h"

#include "common/json.h"
#include "common/password.h"
#include "common/pg.h"

namespace sattva::fcgi {
namespace {

constexpr const char* kTokenPrefix = "sat_";

const std::string& Columns() {
  static const std::string kCols = "id, user_id, name, " +
                                   common::SqlIsoUtc("created_at", "created_at") + ", " +
                                   common::SqlIsoUtc("last_used_at", "last_used_at", true) + ", " +
                                   common::SqlIsoUtc("revoked_at", "revoked_at", true);
  return kCols;
}

ApiToken FromRow(const pqxx::row& r) {
  ApiToken t;
  t.id = r["id"].as<int64_t>();
  t.user_id = r["user_id"].as<int64_t>();
  t.name = r["name"].as<std::string>();
  t.created_at = r["created_at"].as<std::string>();
  t.last_used_at = r["last_used_at"].as<std::string>();
  t.revoked_at = r["revoked_at"].as<std::string>();
  return t;
}

}  // namespace

Json::Value ApiToken::ToJson() const {
  Json::Value v(Json::objectValue);
  v["id"] = common::JsonInt(id);
  v["user_id"] = common::JsonInt(user_id);
  v["name"] = name;
  v["created_at"] = created_at;
  v["last_used_at"] = last_used_at.empty() ? Json::Value(Json::nullValue) : last_used_at;
  v["revoked_at"] = revoked_at.empty() ? Json::Value(Json::nullValue) : revoked_at;
  v["revoked"] = !revoked_at.empty();
  return v;
}

ApiToken TokenStore::Create(pqxx::transaction_base& tx, int64_t user_id, const std::string& name,
                            std::string* token) {
  *token = kTokenPrefix + common::RandomToken(32);
  pqxx::result r = tx.exec_params("INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, "
                                  "$2, $3) RETURNING " +
                                      Columns(),
                                  user_id, name, common::Sha256Hex(*token));
  return FromRow(r[0]);
}

std::optional<ApiToken> TokenStore::Authenticate(pqxx::transaction_base& tx,
                                                 const std::string& token) {
  if (token.rfind(kTokenPrefix, 0) != 0 || token.size() > 100) return std::nullopt;
  tx.conn().prepare(
      "api_tokens_authenticate",
      "SELECT " + Columns() +
          ", (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds') AS stale "
          "FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL "
          "AND (expires_at IS NULL OR expires_at > now())");
  pqxx::result r = tx.exec_prepared("api_tokens_authenticate", common::Sha256Hex(token));
  if (r.empty()) return std::nullopt;
  ApiToken t = FromRow(r[0]);
  if (r[0]["stale"].as<bool>()) TouchLastUsed(tx, t.id);
  return t;
}

void TokenStore::TouchLastUsed(pqxx::transaction_base& tx, int64_t id) {
  tx.exec_params("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", id);
}

std::vector<ApiToken> TokenStore::ListForUser(pqxx::transaction_base& tx, int64_t user_id) {
  std::vector<ApiToken> out;
  for (const auto& row : tx.exec_params("SELECT " + Columns() +
                                            " FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
                                        user_id)) {
    out.push_back(FromRow(row));
  }
  return out;
}

std::optional<ApiToken> TokenStore::Find(pqxx::transaction_base& tx, int64_t id) {
  pqxx::result r = tx.exec_params("SELECT " + Columns() + " FROM api_tokens WHERE id = $1", id);
  if (r.empty()) return std::nullopt;
  return FromRow(r[0]);
}

bool TokenStore::Revoke(pqxx::transaction_base& tx, int64_t id) {
  pqxx::result r = tx.exec_params(
      "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", id);
  return r.affected_rows() == 1;
}

int TokenStore::RevokeAllForUser(pqxx::transaction_base& tx, int64_t user_id) {
  pqxx::result r = tx.exec_params(
      "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
      user_id);
  return static_cast<int>(r.affected_rows());
}

std::vector<int64_t> TokenStore::LiveAmong(pqxx::transaction_base& tx,
                                           const std::vector<int64_t>& ids) {
  std::vector<int64_t> out;
  if (ids.empty()) return out;
  std::string list = "{";
  for (size_t i = 0; i < ids.size(); ++i) list += (i ? "," : "") + std::to_string(ids[i]);
  list += "}";
  for (const auto& row : tx.exec_params(
           "SELECT id FROM api_tokens WHERE id = ANY($1::bigint[]) AND revoked_at IS NULL "
           "AND (expires_at IS NULL OR expires_at > now())",
           list)) {
    out.push_back(row[0].as<int64_t>());
  }
  return out;
}

}  // namespace sattva::fcgi
