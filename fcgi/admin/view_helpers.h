#pragma once
// Small helpers the panel's views share: query parameters, times, options, errors, paging.
// Pure functions; thread-safe. The list pages' shared machinery is fcgi/admin/list.h.

#include <cstdint>
#include <optional>
#include <string>

#include <ctemplate/template.h>
#include <json/json.h>

#include "fcgi/admin/list.h"

namespace sattva::fcgi::views {

// The first value of `key`, or "".
std::string First(const Query& q, const std::string& key);
// Throws HttpError 422 "validation_failed" with `message`.
[[noreturn]] void Invalid(const std::string& message);
// A small positive integer query parameter; absent or empty gives `def`; 422 outside min..max.
int QueryInt(const Query& q, const std::string& key, int def, int min, int max);
// A text parameter: 422 when it is not UTF-8 or longer than max_bytes.
std::string TextParam(const Query& q, const std::string& key, size_t max_bytes);
std::string Capitalized(std::string s);
// Indented JSON for display.
std::string PrettyJson(const Json::Value& v);
// PREFIX (ISO) and PREFIX_TEXT ("2024-05-01 12:34 UTC").
void SetTime(ctemplate::TemplateDictionary* d, const std::string& prefix, const std::string& iso);
// A time, or "never" when empty: sections <PREFIX> (ISO, TEXT) or <PREFIX>_NEVER.
void SetOptionalTime(ctemplate::TemplateDictionary* d, const std::string& prefix,
                     const std::string& iso);
// One <option>: a `section` dictionary with VALUE, LABEL and SELECTED when value == current.
void AddOption(ctemplate::TemplateDictionary* d, const std::string& section,
               const std::string& value, const std::string& label, const std::string& current);
// A `section` dictionary with TEXT = Sentence(message), unless message is empty.
void AddError(ctemplate::TemplateDictionary* d, const std::string& section,
              const std::string& message);
std::string TelegramText(const std::optional<int64_t>& id);
// The PAGER section (PAGE, PAGES, PREV/NO_PREV, NEXT/NO_NEXT) for a list without a ListSpec.
void FillPager(ctemplate::TemplateDictionary* d, int page, int per_page, int64_t total,
               const std::string& prev_url, const std::string& next_url);

}  // namespace sattva::fcgi::views
