#include <cerrno>
#include <cstdlib>

#include "common/json.h"
#include "fcgi/api.h"

namespace sattva::fcgi {

int64_t PathId(const RequestContext& ctx, const std::string& name) {
  auto it = ctx.req.params.find(name);
  const std::string v = it == ctx.req.params.end() ? "" : it->second;
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos ||
      v[0] == '0') {
    throw HttpError(404, "not_found", "no such " + name + ": '" + v.substr(0, 40) + "'");
  }
  return std::strtoll(v.c_str(), nullptr, 10);
}

int64_t QueryInt(const Request& req, const std::string& name, int64_t def, int64_t min,
                 int64_t max) {
  const std::string* v = req.QueryParam(name);
  if (v == nullptr || v->empty()) return def;
  errno = 0;
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || n < min || n > max) {
    throw HttpError(422, "validation_failed",
                    name + " must be an integer from " + std::to_string(min) + " to " +
                        std::to_string(max));
  }
  return n;
}

std::string QueryString(const Request& req, const std::string& name) {
  const std::string* v = req.QueryParam(name);
  return v == nullptr ? "" : *v;
}

std::string JsonString(const Json::Value& body, const char* field, size_t max_len) {
  const Json::Value& v = body[field];
  if (!v.isString()) {
    throw HttpError(400, "invalid_type", std::string(field) + " must be a string");
  }
  std::string s = v.asString();
  if (s.size() > max_len) {
    throw HttpError(422, "validation_failed", std::string(field) + " is too long");
  }
  return s;
}

void RejectUnknownFields(const Json::Value& body, std::initializer_list<const char*> known) {
  for (const auto& name : body.getMemberNames()) {
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) {
      throw HttpError(422, "validation_failed", "unknown field '" + name.substr(0, 60) + "'");
    }
  }
}

Json::Value PageJson(Json::Value items, int64_t total, int64_t page, int64_t per_page) {
  Json::Value v(Json::objectValue);
  v["items"] = std::move(items);
  v["total"] = common::JsonInt(total);
  v["page"] = common::JsonInt(page);
  v["per_page"] = common::JsonInt(per_page);
  return v;
}

}  // namespace sattva::fcgi
