// The streams pages' views rendered from the real templates/: the list's columns and badges,
// the stream page's controls per role, the queue's forms and versions, escaping, errors.
#include <functional>

#include <gtest/gtest.h>

#include "fcgi/admin/streams_views.h"
#include "fcgi/admin/views.h"
#include "fcgi/stream_rules.h"
#include "fcgi/templates.h"
#include "tests/unit/fcgi/panel_test_support.h"

namespace sattva::fcgi {
namespace {

using namespace paneltest;

const char kXss[] = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";

Stream MakeStream(int64_t id, const std::string& title, const std::string& slug) {
  Stream s;
  s.id = id;
  s.title = title;
  s.slug = slug;
  s.desired_state = "stopped";
  s.created_at = "2024-05-01T10:00:00.000Z";
  s.updated_at = s.created_at;
  return s;
}

// A queue item as the streamer stores now playing (JSON text).
std::string ItemJson(const std::string& id, const std::string& title, int64_t by,
                     const std::string& by_name) {
  return "{\"id\":\"" + id + "\",\"track\":{\"id\":7,\"title\":\"" + title +
         "\",\"artist\":\"A\",\"duration_ms\":61000},\"added_by\":{\"id\":" +
         std::to_string(by) + ",\"name\":\"" + by_name + "\"},\"added_at\":\"x\"}";
}

// A queue item as a page reads it (QueueStore::Snapshot with as_rows).
QueueRow Item(const std::string& id, const std::string& title, int64_t by,
             const std::string& by_name) {
  QueueRow r;
  r.id = id;
  r.title = title;
  r.artist = "A";
  r.duration_ms = 61000;
  r.added_by = by;
  r.added_by_name = by_name;
  return r;
}

Query Q(std::initializer_list<std::pair<const std::string, std::string>> kv) { return Query(kv); }

std::string RenderList(const Principal& p, const Query& q, const std::vector<StreamRow>& rows,
                       int64_t total, int64_t now_ms, const NewStreamForm& form = {}) {
  const ListParams params = ListParams::Parse(StreamsListSpec(), q);
  AdminPage page(Layout(&p, "streams"), "streams/list.tpl");
  FillStreamsList(page.body(), p, params, rows, total, now_ms, form);
  return page.Render(Dir());
}

std::string RenderPage(const Principal& p, const StreamPageData& data,
                       const StreamSettingsForm* form = nullptr) {
  AdminPage page(Layout(&p, "streams"), "streams/page.tpl");
  FillStreamPage(page.body(), p, data, form ? *form : SettingsFormFrom(data.stream));
  return page.Render(Dir());
}

TEST(AdminStreamsViewTest, ClockText) {
  EXPECT_EQ(ClockText(0), "0:00");
  EXPECT_EQ(ClockText(42), "0:42");
  EXPECT_EQ(ClockText(300), "5:00");
  EXPECT_EQ(ClockText(3725), "1:02:05");
  EXPECT_EQ(ClockText(-5), "0:00");
}

TEST(AdminStreamsViewTest, ErrorFieldsFollowTheRulesMessages) {
  EXPECT_EQ(StreamErrorField("slug must be 1 to 63 lower-case letters"), "slug");
  EXPECT_EQ(StreamErrorField("title must not be empty"), "title");
  EXPECT_EQ(StreamErrorField("auto_end_timeout_s must be from 10 to 86400"), "auto_end_timeout_s");
  EXPECT_EQ(StreamErrorField("a stream with slug 'x' exists"), "slug");
  EXPECT_EQ(StreamErrorField("placeholder_track_id 9 is not a live track"), "placeholder_track_id");
  EXPECT_EQ(StreamErrorField("something else"), "");
}

int StatusOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const HttpError& e) {
    return e.status();
  }
  return 200;
}

TEST(StreamRulesTest, ValidationOfTheFieldsBothSurfacesShare) {
  StreamFields ok;
  ok.title = "Lo-fi \xF0\x9F\x8E\xA7";
  ok.slug = "lo-fi-1";
  EXPECT_EQ(StatusOf([&] { ValidateStreamFields(ok, true); }), 200);
  auto with = [&](auto set) {
    StreamFields f = ok;
    set(f);
    return StatusOf([&] { ValidateStreamFields(f, true); });
  };
  EXPECT_EQ(with([](StreamFields& f) { f.title = ""; }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.title.reset(); }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.title = std::string(201, 'x'); }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.title = std::string(200, 'x'); }), 200);
  EXPECT_EQ(with([](StreamFields& f) { f.title = "tab\there"; }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.title = "bad \xC3"; }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.slug = "Upper"; }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.slug = "-lead"; }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.slug = std::string(64, 'a'); }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.slug = std::string(63, 'a'); }), 200);
  EXPECT_EQ(with([](StreamFields& f) { f.description = std::string(5001, 'd'); }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.auto_end_timeout_s = 9; }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.auto_end_timeout_s = 86401; }), 422);
  EXPECT_EQ(with([](StreamFields& f) { f.auto_end_timeout_s = 10; }), 200);
  EXPECT_EQ(with([](StreamFields& f) { f.placeholder_track_id = std::optional<int64_t>(0); }), 422);
  // An update may leave everything out.
  EXPECT_EQ(StatusOf([&] { ValidateStreamFields(StreamFields(), false); }), 200);
}

TEST(StreamRulesTest, JsonFieldsHaveTheirTypes) {
  auto parse = [](const std::string& text, bool create) {
    Json::Value v;
    Json::Reader().parse(text, v);
    return StatusOf([&] { StreamFieldsFromJson(v, create); });
  };
  EXPECT_EQ(parse("{\"slug\":\"a\",\"title\":\"A\",\"public\":false}", true), 200);
  EXPECT_EQ(parse("{\"public\":\"no\"}", false), 400);
  EXPECT_EQ(parse("{\"auto_end_enabled\":1}", false), 400);
  EXPECT_EQ(parse("{\"auto_end_timeout_s\":\"60\"}", false), 400);
  EXPECT_EQ(parse("{\"placeholder_track_id\":\"7\"}", false), 400);
  EXPECT_EQ(parse("{\"placeholder_track_id\":null}", false), 200);
  EXPECT_EQ(parse("{\"colour\":\"red\"}", false), 422);
  EXPECT_EQ(parse("{\"slug\":\"a\"}", true), 422);
  Json::Value v;
  Json::Reader().parse("{\"public\":false,\"auto_end_enabled\":true}", v);
  const StreamFields f = StreamFieldsFromJson(v, false);
  ASSERT_TRUE(f.is_public.has_value());
  EXPECT_FALSE(*f.is_public);
  EXPECT_TRUE(*f.auto_end_enabled);
}

TEST(AdminStreamsViewTest, ListParamsValidate) {
  EXPECT_NO_THROW(ListParams::Parse(StreamsListSpec(), Q({{"state", "running"}, {"sort", "slug"}})));
  for (const auto& bad : std::vector<Query>{Q({{"state", "paused"}}), Q({{"sort", "listeners"}}),
                                            Q({{"per_page", "500"}}), Q({{"page", "0"}}),
                                            Q({{"order", "sideways"}})}) {
    try {
      ListParams::Parse(StreamsListSpec(), bad);
      ADD_FAILURE() << "accepted " << bad.begin()->first;
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), 422);
    }
  }
  const ListParams p = ListParams::Parse(
      StreamsListSpec(), Q({{"q", "lofi"}, {"state", "stopped"}, {"sort", "title"}, {"order", "desc"},
                            {"page", "3"}, {"per_page", "50"}}));
  const StreamQuery sq = StreamQueryFrom(p);
  EXPECT_EQ(sq.q, "lofi");
  EXPECT_EQ(sq.state, "stopped");
  EXPECT_EQ(sq.sort, "title");
  EXPECT_TRUE(sq.descending);
  EXPECT_EQ(sq.page, 3);
  EXPECT_EQ(sq.per_page, 50);
}

TEST(AdminStreamsViewTest, ListShowsStateNowPlayingListenersAndCountdown) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  StreamRow a{MakeStream(4, "Morning", "morning"), {}};
  a.stream.desired_state = "running";
  a.stream.auto_end_timeout_s = 300;
  a.live.state = "running";
  a.live.listeners = 5;
  a.live.listeners_live = 3;
  a.live.listeners_bridge = 2;
  a.live.queue_length = 12;
  a.live.auto_end_zero_since_ms = 1'000'000;  // deadline 1'300'000
  a.live.now_item = ItemJson("9", "Song", 1, "dj");
  a.live.now_position_ms = 30000;
  StreamRow b{MakeStream(5, "Night", "night"), {}};
  b.live.state = "stopped";
  b.stream.auto_end_enabled = false;
  b.stream.is_public = false;
  b.stream.last_end_reason = "auto_end";
  b.stream.last_ended_at = "2024-05-02T03:04:05.000Z";
  // A running stream nobody listens to: its countdown shows (the one with listeners never does).
  StreamRow c{MakeStream(6, "Quiet", "quiet"), {}};
  c.stream.desired_state = "running";
  c.stream.auto_end_timeout_s = 300;
  c.live.state = "running";
  c.live.auto_end_zero_since_ms = 1'000'000;  // deadline 1'300'000
  const std::string html = RenderList(admin, {}, {a, b, c}, 3, 1'258'000);
  EXPECT_TRUE(Has(html, "id=\"streams-table\""));
  EXPECT_TRUE(Has(html, "<tr data-stream-id=\"4\">"));
  EXPECT_TRUE(Has(html, "<tr data-stream-id=\"5\">"));
  EXPECT_EQ(Count(html, "ending in 0:42"), 1);
  EXPECT_TRUE(Has(html, "badge state-running"));
  EXPECT_TRUE(Has(html, "badge state-stopped"));
  EXPECT_TRUE(Has(html, ">Song<"));
  EXPECT_TRUE(Has(html, "<progress max=\"61000\" value=\"30000\""));
  EXPECT_TRUE(Has(html, "(3 live · 2 bridge)"));
  EXPECT_TRUE(Has(html, ">12<"));
  EXPECT_TRUE(Has(html, "auto_end<br><time datetime=\"2024-05-02T03:04:05.000Z\">"));
  EXPECT_TRUE(Has(html, ">off<"));
  EXPECT_TRUE(Has(html, ">hidden<"));
  EXPECT_TRUE(Has(html, "id=\"new-stream-form\""));
  EXPECT_TRUE(Has(html, "/admin/streams/5/delete"));
  EXPECT_TRUE(Has(html, "Showing 1\u20133 of 3 streams"));
}

TEST(AdminStreamsViewTest, UsersGetNoNewStreamFormOrDelete) {
  const Principal user = MakePrincipal(2, Role::kUser);
  const std::string html = RenderList(user, {}, {{MakeStream(4, "M", "m"), {}}}, 1, 0);
  EXPECT_FALSE(Has(html, "new-stream-form"));
  EXPECT_FALSE(Has(html, "/delete"));
}

TEST(AdminStreamsViewTest, NewStreamErrorKeepsTypedValuesEscaped) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  NewStreamForm f;
  f.title = kXss;
  f.slug = "Bad Slug";
  f.error = "slug must be 1 to 63 lower-case letters, digits or '-'";
  const std::string html = RenderList(admin, {}, {}, 0, 0, f);
  ExpectNoRawPayload(html);
  EXPECT_TRUE(Has(html, "value=\"Bad Slug\""));
  EXPECT_TRUE(Has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(Has(html, "class=\"field-error\" id=\"ns-slug-err\""));
  EXPECT_TRUE(Has(html, " open>"));
  EXPECT_TRUE(Has(html, "No streams match."));
}

StreamPageData PageData() {
  StreamPageData d;
  d.stream = MakeStream(7, "Lo-fi", "lofi");
  d.stream.desired_state = "running";
  d.live.state = "running";
  d.live.now_item = ItemJson("50", "Now Song", 1, "dj");
  d.live.now_position_ms = 10000;
  d.live.now_position_at_ms = 100000;
  d.now_ms = 102000;
  d.public_url = "https://radio.example";
  d.queue.version = 17;
  d.queue.rows = {Item("51", "First", 1, "dj"), Item("52", "Second", 2, "listener")};
  return d;
}

TEST(AdminStreamsViewTest, ModeratorSeesControlsQueueFormsAndSettings) {
  const Principal mod = MakePrincipal(3, Role::kModerator);
  const std::string html = RenderPage(mod, PageData());
  EXPECT_TRUE(Has(html, "id=\"now-playing\" data-item-id=\"50\""));
  EXPECT_TRUE(Has(html, "<strong id=\"now-title\">Now Song</strong>"));
  // Two seconds after the streamer wrote 10 s, the bar is at 12 s.
  EXPECT_TRUE(Has(html, "<progress id=\"now-progress\" data-state=\"running\" max=\"61000\" "
                        "value=\"12000\">0:12 of 1:01</progress>"));
  EXPECT_TRUE(Has(html, "<span class=\"muted\" id=\"now-artist\">\u2014 A</span>"));
  EXPECT_TRUE(Has(html, "id=\"skip-button\""));
  EXPECT_TRUE(Has(html, "id=\"stop-button\""));
  EXPECT_FALSE(Has(html, "id=\"start-button\""));
  EXPECT_TRUE(Has(html, "<audio id=\"player\" controls preload=\"none\">"));
  EXPECT_TRUE(Has(html, "<source src=\"/live/lofi.ogg\" type=\"audio/ogg\">"));
  EXPECT_TRUE(Has(html, "<source src=\"/live/lofi.mp3\" type=\"audio/mpeg\">"));
  EXPECT_TRUE(Has(html, "value=\"https://radio.example/live/lofi.ogg\""));
  EXPECT_TRUE(Has(html, "id=\"queue\" class=\"queue sortable\" data-version=\"17\""));
  EXPECT_TRUE(Has(html, "<li data-item-id=\"51\">"));
  EXPECT_TRUE(Has(html, "<li data-item-id=\"52\">"));
  EXPECT_LT(html.find("data-item-id=\"51\""), html.find("data-item-id=\"52\""));
  EXPECT_EQ(Count(html, "name=\"to\""), 2);
  EXPECT_EQ(Count(html, "name=\"if_version\" value=\"17\""), 2);
  EXPECT_TRUE(Has(html, "formaction=\"/admin/streams/7/queue/52/next\""));
  EXPECT_TRUE(Has(html, "formaction=\"/admin/streams/7/queue/51/remove\""));
  EXPECT_TRUE(Has(html, "/admin/streams/7/queue/clear"));
  EXPECT_TRUE(Has(html, "id=\"settings-form\""));
  EXPECT_TRUE(Has(html, "id=\"track-search\""));
  EXPECT_TRUE(Has(html, "/admin/streams/7/delete"));
  EXPECT_FALSE(Has(html, "queue-conflict"));
}

TEST(AdminStreamsViewTest, UserSeesNoControlsAndRemovesOnlyOwnItems) {
  const Principal user = MakePrincipal(2, Role::kUser);
  const std::string html = RenderPage(user, PageData());
  for (const char* absent : {"start-button", "stop-button", "skip-button", "settings-form",
                             "/queue/clear", "/delete", "name=\"to\"", "/next\"", "sortable"}) {
    EXPECT_FALSE(Has(html, absent)) << absent;
  }
  EXPECT_TRUE(Has(html, "action=\"/admin/streams/7/queue/52/remove\""));   // their own
  EXPECT_FALSE(Has(html, "action=\"/admin/streams/7/queue/51/remove\""));  // someone else's
  EXPECT_TRUE(Has(html, "id=\"track-search\""));                           // may add
}

TEST(AdminStreamsViewTest, ConflictAndSearchResultsAndPlaceholderPicker) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  StreamPageData d = PageData();
  d.queue_conflict = true;
  d.searched = true;
  d.track_q = "rain";
  Track t;
  t.id = 99;
  t.title = std::string("Rain ") + kXss;
  t.artist = "Ünïcödé 🎧";
  t.duration_ms = 120000;
  d.track_results = {t};
  d.track_total = 1;
  Track ph;
  ph.id = 3;
  ph.title = "Loop";
  d.placeholder = ph;
  d.stream.placeholder_track_id = 3;
  const std::string html = RenderPage(admin, d);
  ExpectNoRawPayload(html);
  EXPECT_TRUE(Has(html, "id=\"queue-conflict\""));
  EXPECT_TRUE(Has(html, "The queue changed; here it is now."));
  EXPECT_TRUE(Has(html, "id=\"track-results\""));
  EXPECT_TRUE(Has(html, "name=\"track_id\" value=\"99\""));
  EXPECT_TRUE(Has(html, "class=\"btn btn-small add-track\""));
  EXPECT_TRUE(Has(html, "Ünïcödé 🎧"));
  EXPECT_TRUE(Has(html, "<option value=\"3\" selected>Loop</option>"));
  EXPECT_TRUE(Has(html, "<option value=\"99\">"));
  EXPECT_TRUE(Has(html, "value=\"rain\""));
}

TEST(AdminStreamsViewTest, ALongQueueListsItsFirstItemsWithAShowAllLink) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  StreamPageData d = PageData();
  d.queue.length = 250;
  std::string html = RenderPage(admin, d);
  EXPECT_TRUE(Has(html, "Showing the first 2 of 250 items."));
  EXPECT_TRUE(Has(html, "href=\"/admin/streams/7?queue=all#queue-panel\""));
  EXPECT_TRUE(Has(html, "id=\"queue-count\">(250)"));
  EXPECT_TRUE(Has(html, "max=\"250\""));  // a position anywhere in the queue
  d.queue.length = 2;
  html = RenderPage(admin, d);
  EXPECT_FALSE(Has(html, "queue-show-all"));
}

TEST(AdminStreamsViewTest, SettingsErrorKeepsWhatWasTyped) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  StreamPageData d = PageData();
  StreamSettingsForm f = SettingsFormFrom(d.stream);
  f.auto_end_timeout_s = "5";
  f.auto_end_enabled = false;
  f.is_public = false;
  f.title = "New <b>title</b>";
  f.error = "auto_end_timeout_s must be from 10 to 86400";
  const std::string html = RenderPage(admin, d, &f);
  EXPECT_TRUE(Has(html, "id=\"settings-error\""));
  EXPECT_TRUE(Has(html, "name=\"auto_end_timeout_s\" type=\"number\" min=\"10\" max=\"86400\" "
                        "required value=\"5\" aria-invalid=\"true\""));
  EXPECT_TRUE(Has(html, "New &lt;b&gt;title&lt;/b&gt;"));
  EXPECT_FALSE(Has(html, "name=\"auto_end_enabled\" value=\"1\" checked"));
  EXPECT_FALSE(Has(html, "name=\"public\" value=\"1\" checked"));
  EXPECT_TRUE(Has(html, "The auto-end timeout must be from 10 to 86400."));
}

TEST(AdminStreamsViewTest, ConfirmationPages) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  Stream s = MakeStream(8, kXss, "x");
  s.desired_state = "running";
  {
    AdminPage page(Layout(&admin, "streams"), "streams/delete.tpl");
    FillDeleteStream(page.body(), s, 4);
    const std::string html = page.Render(Dir());
    ExpectNoRawPayload(html);
    EXPECT_TRUE(Has(html, "action=\"/admin/streams/8/delete\""));
    EXPECT_TRUE(Has(html, "the stream stops at once"));
    EXPECT_TRUE(Has(html, "4 items"));
  }
  {
    AdminPage page(Layout(&admin, "streams"), "streams/clear.tpl");
    FillClearQueue(page.body(), s, 4, 33);
    const std::string html = page.Render(Dir());
    ExpectNoRawPayload(html);
    EXPECT_TRUE(Has(html, "action=\"/admin/streams/8/queue/clear\""));
    EXPECT_TRUE(Has(html, "name=\"if_version\" value=\"33\""));
  }
}

}  // namespace
}  // namespace sattva::fcgi
