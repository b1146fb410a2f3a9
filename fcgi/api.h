#pragma once
// REST API handlers (/api/v1/...). Each Register* adds one resource's routes.

#include <cstdint>
#include <initializer_list>
#include <string>

#include "fcgi/context.h"
#include "fcgi/router.h"

namespace sattva::fcgi {

void RegisterAuthApi(Router& router);   // /api/v1/auth/...
void RegisterUsersApi(Router& router);  // /api/v1/users...
void RegisterTokensApi(Router& router); // /api/v1/tokens...
void RegisterAuditApi(Router& router);  // /api/v1/audit
void RegisterTracksApi(Router& router); // /api/v1/tracks...
void RegisterStreamsApi(Router& router); // /api/v1/streams... and their queues
void RegisterHistoryApi(Router& router); // /api/v1/streams/{id}/history, .../sessions
void RegisterStatsApi(Router& router);   // /api/v1/stats
void RegisterPublicRoutes(Router& router); // / (public status page), /api/v1/public/...
void RegisterWsApi(Router& router);      // /api/v1/ws-ticket

// A positive integer path parameter; anything else is 404 (no such resource can exist).
int64_t PathId(const RequestContext& ctx, const std::string& name);
// An integer query parameter in [min, max]; absent gives `def`; anything else is 422.
int64_t QueryInt(const Request& req, const std::string& name, int64_t def, int64_t min,
                 int64_t max);
// A query parameter's value or "".
std::string QueryString(const Request& req, const std::string& name);
// A JSON field of an expected type: 400 ("invalid_type") naming the field when it has another
// type; 422 when it is longer than max_len.
std::string JsonString(const Json::Value& body, const char* field, size_t max_len = 1000);
// 422 ("validation_failed") naming the first field of `body` that is not in `known`.
void RejectUnknownFields(const Json::Value& body, std::initializer_list<const char*> known);
// {"items":[...],"total":N,"page":P,"per_page":K}
Json::Value PageJson(Json::Value items, int64_t total, int64_t page, int64_t per_page);

}  // namespace sattva::fcgi
