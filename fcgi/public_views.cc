#include "fcgi/public_views.h"

#include <algorithm>
#include <cstdio>

#include "common/clock_text.h"
#include "common/json.h"
#include "fcgi/admin/views.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

std::optional<PublicNowPlaying> NowOf(const StreamLive& l, int64_t now_ms) {
  if (l.now_item.empty()) return std::nullopt;
  Json::Value item;
  std::string err;
  if (!common::ParseJson(l.now_item, &item, &err) || !item.isObject()) return std::nullopt;
  const Json::Value& t = item["track"];
  if (!t.isObject()) return std::nullopt;
  PublicNowPlaying n;
  if (t["title"].isString()) n.title = t["title"].asString();
  if (t["artist"].isString()) n.artist = t["artist"].asString();
  if (t["duration_ms"].isIntegral()) n.duration_ms = std::max<int64_t>(0, t["duration_ms"].asInt64());
  n.started_at = l.now_started_at;
  n.position_ms = PlaybackPositionMs(l, n.duration_ms, item["placeholder"].isBool() && item["placeholder"].asBool(), now_ms);
  return n;
}

}  // namespace

std::string FormatClock(int64_t ms) { return common::FormatClock(ms); }

std::vector<PublicStream> BuildPublicStreams(const std::vector<Stream>& streams,
                                             const std::vector<StreamLive>& live,
                                             int64_t now_ms) {
  std::vector<PublicStream> out;
  for (size_t i = 0; i < streams.size() && i < live.size(); ++i) {
    if (live[i].state != "running") continue;
    PublicStream p;
    p.slug = streams[i].slug;
    p.title = streams[i].title;
    p.description = streams[i].description;
    p.listeners = std::max<int64_t>(0, live[i].listeners);
    p.now = NowOf(live[i], now_ms);
    out.push_back(std::move(p));
  }
  return out;
}

Json::Value PublicNowPlayingJson(const std::vector<PublicStream>& streams,
                                 const std::string& generated_at) {
  Json::Value root(Json::objectValue);
  root["generated_at"] = generated_at;
  Json::Value& list = root["streams"] = Json::Value(Json::arrayValue);
  for (const PublicStream& s : streams) {
    Json::Value j(Json::objectValue);
    j["slug"] = s.slug;
    j["title"] = s.title;
    j["description"] = s.description;
    j["listeners"] = common::JsonInt(s.listeners);
    if (s.now) {
      Json::Value n(Json::objectValue);
      n["title"] = s.now->title;
      n["artist"] = s.now->artist;
      n["duration_ms"] =
          s.now->duration_ms > 0 ? common::JsonInt(s.now->duration_ms) : Json::Value();
      n["position_ms"] = common::JsonInt(s.now->position_ms);
      n["started_at"] = s.now->started_at.empty() ? Json::Value() : Json::Value(s.now->started_at);
      j["now_playing"] = n;
    } else {
      j["now_playing"] = Json::Value();
    }
    j["mounts"]["ogg"] = "/live/" + s.slug + ".ogg";
    j["mounts"]["mp3"] = "/live/" + s.slug + ".mp3";
    list.append(j);
  }
  return root;
}

void FillPublicStatus(TemplateDictionary* d, const std::vector<PublicStream>& streams,
                      const std::string& generated_at) {
  d->SetValue("GENERATED_AT", generated_at);
  d->SetValue("GENERATED_TEXT", FormatTime(generated_at));
  if (streams.empty()) d->ShowSection("NONE");
  for (const PublicStream& s : streams) {
    TemplateDictionary* t = d->AddSectionDictionary("STREAM");
    t->SetValue("SLUG", s.slug);
    t->SetValue("TITLE", s.title);
    if (!s.description.empty()) t->AddSectionDictionary("DESCRIPTION")->SetValue("TEXT", s.description);
    t->SetValue("LISTENERS", std::to_string(s.listeners));
    t->SetValue("LISTENERS_WORD", s.listeners == 1 ? "listener" : "listeners");
    t->SetValue("OGG", "/live/" + s.slug + ".ogg");
    t->SetValue("MP3", "/live/" + s.slug + ".mp3");
    if (!s.now) {
      t->ShowSection("NO_NOW");
      continue;
    }
    TemplateDictionary* n = t->AddSectionDictionary("NOW");
    n->SetValue("TRACK_TITLE", s.now->title.empty() ? "Untitled" : s.now->title);
    if (!s.now->artist.empty()) n->AddSectionDictionary("ARTIST")->SetValue("TEXT", s.now->artist);
    n->SetValue("POSITION_TEXT", FormatClock(s.now->position_ms));
    if (s.now->duration_ms > 0) {
      TemplateDictionary* p = n->AddSectionDictionary("PROGRESS");
      p->SetValue("MAX", std::to_string(s.now->duration_ms));
      p->SetValue("VALUE", std::to_string(s.now->position_ms));
      p->SetValue("DURATION_TEXT", FormatClock(s.now->duration_ms));
    }
  }
}

}  // namespace sattva::fcgi
