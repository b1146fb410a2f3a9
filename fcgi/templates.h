#pragma once
// A small wrapper over ctemplate for the admin pages.
//
// Templates live in one directory (config key templates_dir) and every one starts with
// {{%AUTOESCAPE context="HTML"}}: each variable is HTML-escaped by default (and URL-checked inside
// href/src attributes, so a "javascript:" value becomes "#"). Never use a raw modifier on data.
//
// Thread-safe: each directory gets its own ctemplate::TemplateCache, made on first use and kept
// for the life of the process; ctemplate's caches lock internally, so any number of worker
// threads may render at once. A template is read from disk the first time it is used.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <ctemplate/template.h>

namespace sattva::fcgi {

// A template that is missing or does not parse. Dispatch turns it into a 500 and logs the detail.
class TemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Expands `name` (relative to `dir`) with `dict`. Throws TemplateError when the template, or one
// it includes, is missing or malformed.
std::string RenderTemplate(const std::string& dir, const std::string& name,
                           const ctemplate::TemplateDictionary& dict);

// Percent-encodes a URL component: everything but RFC 3986 unreserved characters
// (A-Z a-z 0-9 - . _ ~) becomes %XX, so the result is safe in a query string and in a path
// segment.
std::string UrlEncode(const std::string& s);

// "a=1&b=x%20y" from pairs in the given order, each key and value encoded with UrlEncode. Pairs
// whose value is empty are left out.
std::string BuildQueryString(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace sattva::fcgi
