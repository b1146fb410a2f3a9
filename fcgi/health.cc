#include "fcgi/health.h"

#include <chrono>
#include <functional>

#include "common/log.h"

namespace sattva::fcgi {
namespace {

Json::Value Check(const common::Clock& clock, const std::function<void()>& fn) {
  Json::Value v(Json::objectValue);
  auto start = clock.Now();
  try {
    fn();
    v["status"] = "ok";
  } catch (const std::exception& e) {
    v["status"] = "error";
    v["error"] = e.what();
  }
  double ms = std::chrono::duration<double, std::milli>(clock.Now() - start).count();
  v["latency_ms"] = static_cast<double>(static_cast<int64_t>(ms * 1000)) / 1000.0;
  return v;
}

}  // namespace

Response HandleHealth(RequestContext& ctx) {
  Json::Value body(Json::objectValue);
  Json::Value& checks = body["checks"];
  checks["postgres"] = Check(ctx.env.clock, [&] {
    ctx.res.pg->Run([](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      pqxx::result r = tx.exec("SELECT 1");
      if (r.size() != 1 || r[0][0].as<int>() != 1) throw std::runtime_error("unexpected reply");
    });
  });
  checks["redis"] = Check(ctx.env.clock, [&] {
    common::RedisReplyPtr r = ctx.res.redis.Checked({"PING"});
    if (common::ReplyString(r.get()) != "PONG") throw std::runtime_error("unexpected reply");
  });
  Json::Value failing(Json::arrayValue);
  for (const char* part : {"postgres", "redis"}) {
    if (checks[part]["status"].asString() != "ok") failing.append(part);
  }
  body["status"] = failing.empty() ? "ok" : "unavailable";
  if (!failing.empty()) {
    body["failing"] = failing;
    std::string names;
    for (const auto& f : failing) names += (names.empty() ? "" : ", ") + f.asString();
    body["error"]["code"] = "unhealthy";
    body["error"]["message"] = "unavailable: " + names;
  }
  body["time"] = common::IsoUtcMillis(ctx.env.clock.WallNow());
  return Response::Json(failing.empty() ? 200 : 503, body);
}

}  // namespace sattva::fcgi
