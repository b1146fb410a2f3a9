#pragma once
// Email addresses as Sattva stores them: trimmed and lower-cased (users.email has a CHECK for
// it and a unique index on lower(email)). Validation follows the WHATWG HTML "valid e-mail
// address" grammar (what <input type=email> accepts, so "admin@localhost" is valid), plus the
// SMTP length limits: at most 64 bytes before the '@' and 254 in all.
// Thread-safe.

#include <string>

namespace sattva::common {

// Trims ASCII whitespace and lower-cases ASCII letters.
std::string NormalizeEmail(const std::string& email);
// True when `email` is a valid address (case-insensitive; call NormalizeEmail before storing).
bool IsValidEmail(const std::string& email);

}  // namespace sattva::common
