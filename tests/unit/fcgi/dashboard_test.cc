// The dashboard's view and the public status page's views, rendered from the real templates/.
#include <gtest/gtest.h>

#include "fcgi/admin/charts.h"
#include "fcgi/admin/dashboard_views.h"
#include "fcgi/admin/views.h"
#include "fcgi/public_views.h"
#include "fcgi/templates.h"
#include "tests/unit/fcgi/panel_test_support.h"

namespace sattva::fcgi {
namespace {

using namespace paneltest;

const char kXss[] = "<script>alert(1)</script>";

Principal MakePrincipal(Role role) {
  Principal p;
  p.user.id = 1;
  p.user.email = "boss@example.com";
  p.user.role = role;
  Session s;
  s.csrf_token = "csrf";
  p.session = s;
  return p;
}

AuditRow Row(const std::string& action, const std::string& type, const std::string& id) {
  AuditRow r;
  r.id = 1;
  r.created_at = "2026-01-01T10:00:00.000Z";
  r.entry.actor_label = "boss@example.com";
  r.entry.action = action;
  r.entry.target_type = type;
  r.entry.target_id = id;
  return r;
}

std::string RenderDashboard(const Principal& p, const DashboardData& data) {
  LayoutInfo l;
  l.title = "Dashboard";
  l.active = "dashboard";
  l.viewer = &p;
  AdminPage page(l, "dashboard.tpl");
  FillDashboard(page.body(), p, data);
  return page.Render(Dir());
}

// The href of the card with this key.
std::string CardHref(const std::string& html, const std::string& key) {
  const size_t at = html.find("id=\"card-" + key + "\"");
  if (at == std::string::npos) return "(no card)";
  const size_t h = html.find("href=\"", at);
  const size_t end = html.find("</li>", at);
  if (h == std::string::npos || h > end) return "(no link)";
  return html.substr(h + 6, html.find('"', h + 6) - h - 6);
}

std::string CardValue(const std::string& html, const std::string& key) {
  const size_t at = html.find("id=\"card-" + key + "\"");
  if (at == std::string::npos) return "(no card)";
  const std::string open = "<span class=\"stat-value\">";
  const size_t v = html.find(open, at) + open.size();
  return html.substr(v, html.find("</span>", v) - v);
}

TEST(DashboardViewTest, AuditTargetsLinkToTheirPages) {
  EXPECT_EQ(AuditTargetUrl("stream", "7"), "/admin/streams/7");
  EXPECT_EQ(AuditTargetUrl("user", "12"), "/admin/users/12");
  EXPECT_EQ(AuditTargetUrl("track", "3"), "/admin/tracks/3");
  EXPECT_EQ(AuditTargetUrl("token", "3"), "");
  EXPECT_EQ(AuditTargetUrl("stream", ""), "");
  EXPECT_EQ(AuditTargetUrl("stream", "../users/1"), "");
  EXPECT_EQ(AuditTargetUrl("stream", "-1"), "");
}

TEST(DashboardViewTest, StationCardsFirstWithTheirLinks) {
  Principal admin = MakePrincipal(Role::kAdmin);
  DashboardData d;
  d.station.streams_total = 5;
  d.station.streams_running = 2;
  d.station.tracks = 1234;
  d.station.plays_today = 17;
  d.station.auto_ends_today = 1;
  d.live.listeners = 9;
  d.live.listeners_live = 7;
  d.live.listeners_bridge = 2;
  d.live.queue_items = 42;
  d.show_users = true;
  d.user_counts["total"] = 4;
  d.user_counts["admin"] = 1;
  d.show_audit = true;
  d.recent = {Row("stream.update", "stream", "7"), Row("user.create", "user", "3"),
              Row("track.delete", "track", "11"), Row("token.create", "token", "5"),
              Row("auth.login", "", "")};
  const std::string html = RenderDashboard(admin, d);
  EXPECT_EQ(CardValue(html, "streams"), "2 / 5");
  EXPECT_EQ(CardHref(html, "streams"), "/admin/streams?state=running");
  EXPECT_EQ(CardValue(html, "listeners"), "9");
  EXPECT_NE(html.find("7 live, 2 in the call"), std::string::npos);
  EXPECT_EQ(CardValue(html, "tracks"), "1234");
  EXPECT_EQ(CardHref(html, "tracks"), "/admin/tracks");
  EXPECT_EQ(CardValue(html, "queued"), "42");
  EXPECT_EQ(CardHref(html, "queued"), "/admin/streams");
  EXPECT_EQ(CardValue(html, "plays"), "17");
  EXPECT_EQ(CardValue(html, "auto-ends"), "1");
  EXPECT_EQ(CardHref(html, "auto-ends"), "/admin/streams?state=stopped");
  EXPECT_EQ(CardValue(html, "users"), "4");
  EXPECT_EQ(CardHref(html, "users"), "/admin/users");
  EXPECT_EQ(CardHref(html, "admins"), "/admin/users?role=admin");
  EXPECT_LT(html.find("id=\"card-streams\""), html.find("id=\"card-users\""))
      << "the station comes first";
  EXPECT_NE(html.find("<a href=\"/admin/streams/7\">stream #7</a>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"/admin/users/3\">user #3</a>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/admin/tracks/11\">track #11</a>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"target muted\">token #5</span>"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
}

TEST(DashboardViewTest, PlainUserSeesNoUsersOrActivity) {
  Principal user = MakePrincipal(Role::kUser);
  DashboardData d;
  const std::string html = RenderDashboard(user, d);
  EXPECT_EQ(CardValue(html, "streams"), "0 / 0");
  EXPECT_EQ(CardValue(html, "users"), "(no card)");
  EXPECT_EQ(html.find("Recent activity"), std::string::npos);
}

TEST(DashboardViewTest, AuditTextIsEscaped) {
  Principal admin = MakePrincipal(Role::kAdmin);
  DashboardData d;
  d.show_audit = true;
  AuditRow r = Row(kXss, "stream", kXss);
  r.entry.actor_label = kXss;
  d.recent = {r};
  const std::string html = RenderDashboard(admin, d);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
}

// --- The public status page ---------------------------------------------------------------

Stream MakeStream(int64_t id, const std::string& slug, const std::string& title) {
  Stream s;
  s.id = id;
  s.slug = slug;
  s.title = title;
  s.desired_state = "running";
  return s;
}

TEST(PublicViewTest, OnlyRunningStreamsWithTheirNowPlaying) {
  std::vector<Stream> streams = {MakeStream(1, "radio", "Radio"), MakeStream(2, "starting", "S"),
                                 MakeStream(3, "quiet", "Quiet")};
  std::vector<StreamLive> live(3);
  live[0].state = "running";
  live[0].listeners = 4;
  live[0].now_item =
      R"({"id":"9","track":{"id":5,"title":"Song","artist":"Band","duration_ms":200000},)"
      R"("added_by":{"id":77,"email":"secret@example.com","display_name":"Secret"}})";
  live[0].now_started_at = "2026-01-01T10:00:00.000Z";
  live[0].now_position_ms = 60000;
  live[0].now_position_at_ms = 1000000;
  live[1].state = "starting";
  live[2].state = "running";
  const std::vector<PublicStream> out = BuildPublicStreams(streams, live, 1000000 + 2500);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].slug, "radio");
  ASSERT_TRUE(out[0].now.has_value());
  EXPECT_EQ(out[0].now->title, "Song");
  EXPECT_EQ(out[0].now->position_ms, 62500);  // extrapolated
  EXPECT_FALSE(out[1].now.has_value());

  const Json::Value j = PublicNowPlayingJson(out, "2026-01-01T10:01:02.500Z");
  ASSERT_EQ(j["streams"].size(), 2u);
  const Json::Value& r = j["streams"][0];
  EXPECT_EQ(r["slug"].asString(), "radio");
  EXPECT_EQ(r["listeners"].asInt(), 4);
  EXPECT_EQ(r["now_playing"]["artist"].asString(), "Band");
  EXPECT_EQ(r["now_playing"]["duration_ms"].asInt(), 200000);
  EXPECT_EQ(r["mounts"]["ogg"].asString(), "/live/radio.ogg");
  EXPECT_FALSE(r.isMember("id"));
  EXPECT_TRUE(j["streams"][1]["now_playing"].isNull());
  const std::string text = j.toStyledString();
  EXPECT_EQ(text.find("secret"), std::string::npos) << "nothing of who queued it";
  EXPECT_EQ(text.find("Secret"), std::string::npos);
  EXPECT_EQ(text.find("77"), std::string::npos);

  // The position never passes the track's end.
  live[0].now_position_at_ms = 1;
  EXPECT_EQ(BuildPublicStreams(streams, live, 10000000)[0].now->position_ms, 200000);
}

TEST(PublicViewTest, PageHasPlayersAndEscapesTitles) {
  std::vector<PublicStream> streams(1);
  streams[0].slug = "radio";
  streams[0].title = kXss;
  streams[0].listeners = 1;
  PublicNowPlaying n;
  n.title = "A \"quoted\" <title>";
  n.duration_ms = 185000;
  n.position_ms = 65000;
  streams[0].now = n;
  ctemplate::TemplateDictionary d("t");
  FillPublicStatus(&d, streams, "2026-01-01T10:00:00.000Z");
  const std::string html = RenderTemplate(Dir(), "public/status.tpl", d);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_NE(html.find("<source src=\"/live/radio.ogg\" type=\"audio/ogg\">"), std::string::npos);
  EXPECT_NE(html.find("<source src=\"/live/radio.mp3\" type=\"audio/mpeg\">"), std::string::npos);
  EXPECT_NE(html.find("<progress class=\"now-progress\" max=\"185000\" value=\"65000\">"),
            std::string::npos);
  EXPECT_NE(html.find("1:05 / 3:05"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"count\">1</span> listener</span>"), std::string::npos);
  EXPECT_NE(html.find("href=\"/admin/\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"no-streams\""), std::string::npos);

  ctemplate::TemplateDictionary none("t");
  FillPublicStatus(&none, {}, "2026-01-01T10:00:00.000Z");
  EXPECT_NE(RenderTemplate(Dir(), "public/status.tpl", none).find("id=\"no-streams\""),
            std::string::npos);
  EXPECT_EQ(FormatClock(3723000), "1:02:03");
  EXPECT_EQ(FormatClock(-5), "0:00");
}

}  // namespace
}  // namespace sattva::fcgi
