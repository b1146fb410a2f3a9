#include "tests/support/stream_events.h"

#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "common/json.h"

namespace sattva::testing {

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

int64_t EntryMs(const std::string& id) { return std::atoll(id.substr(0, id.find('-')).c_str()); }

std::vector<std::pair<std::string, Json::Value>> StreamEvents(const Stack& stack,
                                                              const std::string& type,
                                                              int64_t sid) {
  auto redis = stack.RedisClient();
  auto r = redis->Checked({"XRANGE", "sattva:events", "-", "+"});
  std::vector<std::pair<std::string, Json::Value>> out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    std::map<std::string, std::string> f;
    for (size_t k = 0; k + 1 < e->element[1]->elements; k += 2) {
      f[common::ReplyString(e->element[1]->element[k])] =
          common::ReplyString(e->element[1]->element[k + 1]);
    }
    if (f["type"] != type || f["stream_id"] != std::to_string(sid)) continue;
    Json::Value d;
    std::string err;
    common::ParseJson(f["data"], &d, &err);
    out.emplace_back(common::ReplyString(e->element[0]), d);
  }
  return out;
}

Json::Value WaitStream(ApiClient& c, int64_t sid,
                       const std::function<bool(const Json::Value&)>& pred,
                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Json::Value v;
  while (std::chrono::steady_clock::now() < deadline) {
    v = JsonOf(c.Get("/api/v1/streams/" + std::to_string(sid)));
    if (pred(v)) return v;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "timed out; last: " << common::WriteJson(v);
  return v;
}

}  // namespace sattva::testing
