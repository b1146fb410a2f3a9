#pragma once
// Argon2id password hashing (libsodium crypto_pwhash, 19 MiB, t=2), random tokens, and SHA-256
// for hashing high-entropy secrets (session ids, API tokens) before they are stored.
// Thread-safe once InitCrypto() has run.

#include <string>

namespace sattva::common {

// Initialises libsodium; throws std::runtime_error when it cannot.
void InitCrypto();
// A PHC-format Argon2id string ("$argon2id$v=19$m=19456,t=2,p=1$...").
std::string HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);
// `bytes` random bytes as URL-safe base64 without padding.
std::string RandomToken(size_t bytes);
// Lower-case hex SHA-256.
std::string Sha256Hex(const std::string& data);

}  // namespace sattva::common
