#include "common/email.h"

#include <cctype>
#include <cstring>

namespace sattva::common {
namespace {

constexpr size_t kMaxEmail = 254;
constexpr size_t kMaxLocal = 64;
constexpr size_t kMaxLabel = 63;

bool IsLocalChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(".!#$%&'*+/=?^_`{|}~-", c);
}

bool IsValidLabel(const std::string& label) {
  if (label.empty() || label.size() > kMaxLabel) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

std::string NormalizeEmail(const std::string& email) {
  size_t b = 0, e = email.size();
  while (b < e && std::isspace(static_cast<unsigned char>(email[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(email[e - 1]))) --e;
  std::string out = email.substr(b, e - b);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsValidEmail(const std::string& email) {
  if (email.size() > kMaxEmail) return false;
  const size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at > kMaxLocal) return false;
  for (size_t i = 0; i < at; ++i) {
    if (email[i] == '\0' || !IsLocalChar(email[i])) return false;
  }
  const std::string domain = email.substr(at + 1);
  if (domain.empty()) return false;
  size_t start = 0;
  while (true) {
    size_t dot = domain.find('.', start);
    if (!IsValidLabel(
            domain.substr(start, dot == std::string::npos ? std::string::npos : dot - start))) {
      return false;
    }
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

}  // namespace sattva::common
