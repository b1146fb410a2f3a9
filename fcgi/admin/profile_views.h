#pragma once
// The profile page's view (fcgi/admin/profile.cc): data in, HTML out. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include <ctemplate/template.h>

#include "fcgi/admin/list.h"
#include "fcgi/context.h"
#include "fcgi/api_tokens.h"
#include "fcgi/users.h"

namespace sattva::fcgi {

// --- Profile --------------------------------------------------------------------------------

struct ProfileForms {
  std::string display_name;
  std::string telegram_id;
  std::string profile_error;
  std::string password_error;
  std::string token_name;
  std::string token_error;
};
ProfileForms ProfileFormsFrom(const User& u);
void FillProfile(ctemplate::TemplateDictionary* d, const Principal& me,
                 const std::vector<ApiToken>& tokens, const ProfileForms& forms);

}  // namespace sattva::fcgi
