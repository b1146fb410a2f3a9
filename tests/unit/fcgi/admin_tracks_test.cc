// The tracks pages' views rendered from the real templates/: formatting of the columns, the
// list's summary (exact, estimated, capped), controls per role, the track page (player or a link
// out, where queued, the edit form as typed), the delete confirmation, escaping, and the pure
// helpers the audio route uses (content types, the X-Accel-Redirect path).
#include <gtest/gtest.h>

#include "fcgi/admin/tracks_views.h"
#include "fcgi/admin/views.h"
#include "fcgi/templates.h"
#include "tests/unit/fcgi/panel_test_support.h"

namespace sattva::fcgi {
namespace {

using namespace paneltest;

const char kXss[] = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";

Track MakeTrack(int64_t id, const std::string& title, const std::string& kind = "upload") {
  Track t;
  t.id = id;
  t.title = title;
  t.artist = "Artist " + std::to_string(id);
  t.source_kind = kind;
  t.source = kind == "url" ? "https://example.com/a.mp3" : "/media/uploads/x.mp3";
  t.codec = "mp3";
  t.duration_ms = 187000;
  t.sample_rate = 44100;
  t.channels = 2;
  t.size_bytes = 3000000;
  t.created_by = 5;
  t.added_by_email = "uploader@example.com";
  t.added_by_name = "Up Loader";
  t.created_at = "2024-05-01T10:00:00.000Z";
  return t;
}

ListParams Params(const Query& q = {}) { return ListParams::Parse(TracksListSpec(), q); }

std::string RenderList(const Principal& viewer, const ListParams& params, const TrackPage& page,
                       const std::map<int64_t, int64_t>& queued = {},
                       const TrackAddForms& forms = TrackAddForms()) {
  AdminPage p(Layout(&viewer, "tracks"), "tracks/list.tpl");
  FillTracksList(p.body(), viewer, params, page, queued, forms);
  return p.Render(Dir());
}

TEST(TracksViewsTest, Formatting) {
  EXPECT_EQ(FormatTrackDuration(187000), "3:07");
  EXPECT_EQ(FormatTrackDuration(499), "0:00");
  EXPECT_EQ(FormatTrackDuration(3723000), "1:02:03");
  EXPECT_EQ(FormatTrackDuration(std::nullopt), "\u2014");
  EXPECT_EQ(FormatBitrate(128000), "128 kbps");
  EXPECT_EQ(FormatBitrate(129408), "129 kbps");
  EXPECT_EQ(FormatBitrate(std::nullopt), "\u2014");
  EXPECT_EQ(FormatSampleRate(44100), "44.1 kHz");
  EXPECT_EQ(FormatSampleRate(48000), "48 kHz");
  EXPECT_EQ(FormatSampleRate(std::nullopt), "\u2014");
  EXPECT_EQ(FormatSize(812), "812 B");
  EXPECT_EQ(FormatSize(4200), "4.2 KB");
  EXPECT_EQ(FormatSize(3700000), "3.7 MB");
  EXPECT_EQ(FormatSize(45000000), "45 MB");
  EXPECT_EQ(FormatSize(1200000000), "1.2 GB");
  EXPECT_EQ(FormatSize(std::nullopt), "\u2014");
  EXPECT_EQ(FormatChannels(1), "mono");
  EXPECT_EQ(FormatChannels(2), "stereo");
  EXPECT_EQ(FormatChannels(6), "6 channels");
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(100000), "100,000");
  EXPECT_EQ(GroupThousands(1234567), "1,234,567");
}

TEST(TracksViewsTest, BitrateComesFromSizeAndDuration) {
  Track t = MakeTrack(1, "A");
  t.size_bytes = 4044;
  t.duration_ms = 250;
  EXPECT_EQ(t.bitrate(), 129408);
  t.duration_ms = 0;
  EXPECT_EQ(t.bitrate(), std::nullopt);
  t.duration_ms = std::nullopt;
  EXPECT_EQ(t.bitrate(), std::nullopt);
  t.duration_ms = 1000;
  t.size_bytes = std::nullopt;
  EXPECT_EQ(t.bitrate(), std::nullopt);
}

TEST(TracksViewsTest, ListParamsMapToTheStoreQuery) {
  const ListParams p = Params({{"q", "abc"}, {"codec", "flac"}, {"source", "url"},
                               {"sort", "duration_ms"}, {"order", "desc"}, {"page", "3"},
                               {"per_page", "50"}});
  const TrackQuery q = TrackQueryFrom(p);
  EXPECT_EQ(q.q, "abc");
  EXPECT_EQ(q.codec, "flac");
  EXPECT_EQ(q.source_kind, "url");
  EXPECT_EQ(q.sort, "duration_ms");
  EXPECT_TRUE(q.descending);
  EXPECT_EQ(q.page, 3);
  EXPECT_EQ(q.per_page, 50);
  EXPECT_EQ(p.ExportUrl("csv"),
            "/admin/tracks/export.csv?q=abc&codec=flac&source=url&sort=duration_ms&order=desc");
  // Every sort key of the list is one the store knows.
  for (const ListColumn& c : TracksListSpec().columns) {
    if (c.key.empty()) continue;
    const auto& keys = TrackStore::SortKeys();
    EXPECT_NE(std::find(keys.begin(), keys.end(), c.key), keys.end()) << c.key;
  }
  for (const Query& bad : std::vector<Query>{{{"codec", "nope"}},
                                             {{"source", "ftp"}},
                                             {{"sort", "size_bytes"}},
                                             {{"q", std::string(201, 'a')}}}) {
    EXPECT_THROW(Params(bad), HttpError);
  }
}

TEST(TracksViewsTest, SummarySaysWhenTheTotalIsEstimatedOrCapped) {
  TrackPage page;
  for (int i = 1; i <= 20; ++i) page.items.push_back(MakeTrack(i, "T"));
  page.total = 57;
  EXPECT_EQ(TracksSummary(Params(), page), "Showing 1\u201320 of 57 tracks");
  page.total = 100234;
  page.total_kind = TrackPage::Total::kEstimate;
  EXPECT_EQ(TracksSummary(Params({{"page", "2"}}), page),
            "Showing 21\u201340 of about 100,234 tracks");
  page.total = 10000;
  page.total_kind = TrackPage::Total::kAtLeast;
  EXPECT_EQ(TracksSummary(Params(), page), "Showing 1\u201320 of more than 10,000 tracks");
  page.items.clear();
  EXPECT_EQ(TracksSummary(Params({{"page", "900"}}), page),
            "Nothing on page 900; there are more than 10,000 tracks in all.");
}

TEST(TracksViewsTest, ListRowsColumnsAndControlsForAManager) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  TrackPage page;
  page.items = {MakeTrack(7, kXss), MakeTrack(8, "Remote", "url")};
  page.items[1].duration_ms = std::nullopt;
  page.items[1].size_bytes = std::nullopt;
  page.items[1].created_by = std::nullopt;
  page.items[1].added_by_email = "";
  page.total = 2;
  const std::string html = RenderList(admin, Params({{"q", "re"}}), page, {{7, 3}});
  ExpectNoRawPayload(html);
  EXPECT_TRUE(Has(html, "id=\"tracks-table\""));
  EXPECT_TRUE(Has(html, "<tr data-track-id=\"7\">"));
  EXPECT_TRUE(Has(html, "<tr data-track-id=\"8\">"));
  EXPECT_TRUE(Has(html, "3:07"));
  EXPECT_TRUE(Has(html, "128 kbps"));  // 3,000,000 bytes over 187 s
  EXPECT_TRUE(Has(html, "44.1 kHz"));
  EXPECT_TRUE(Has(html, "3.0 MB"));
  EXPECT_TRUE(Has(html, "<a href=\"/admin/users/5\">Up Loader</a>"));
  EXPECT_TRUE(Has(html, "data-queued=\"3\">3 streams"));
  EXPECT_TRUE(Has(html, "data-queued=\"0\">none"));
  EXPECT_TRUE(Has(html, "<span class=\"muted\">unknown</span>"));
  EXPECT_TRUE(Has(html, "class=\"btn btn-small export-csv\" href=\"/admin/tracks/export.csv?q=re\""));
  EXPECT_TRUE(Has(html, "class=\"btn btn-small export-json\" href=\"/admin/tracks/export.json?q=re\""));
  EXPECT_TRUE(Has(html, "id=\"upload-form\""));
  EXPECT_TRUE(Has(html, "enctype=\"multipart/form-data\""));
  EXPECT_TRUE(Has(html, "name=\"file\" type=\"file\" multiple"));
  EXPECT_TRUE(Has(html, "id=\"upload-progress\""));
  EXPECT_TRUE(Has(html, "id=\"url-form\""));
  EXPECT_TRUE(Has(html, "value=\"csrf-token-123\""));
  EXPECT_TRUE(Has(html, "<option value=\"flac\">FLAC</option>"));
  EXPECT_TRUE(Has(html, "<option value=\"url\">URL</option>"));
}

TEST(TracksViewsTest, AUserSeesNoAddFormsAndNoUserLinks) {
  const Principal user = MakePrincipal(2, Role::kUser);
  TrackPage page;
  page.items = {MakeTrack(7, "Song")};
  page.total = 1;
  const std::string html = RenderList(user, Params(), page);
  EXPECT_FALSE(Has(html, "id=\"upload-form\""));
  EXPECT_FALSE(Has(html, "id=\"url-form\""));
  EXPECT_FALSE(Has(html, "/admin/users/5"));
  EXPECT_TRUE(Has(html, "Up Loader"));
  EXPECT_FALSE(Has(html, "uploader@example.com"));  // a plain user sees the name, not the email
}

TEST(TracksViewsTest, RefusedAddsShowTheirErrorsAndWhatWasTyped) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  TrackAddForms forms;
  forms.url = std::string("ftp://x/") + kXss;
  forms.url_title = kXss;
  forms.url_error = "url must start with http:// or https://";
  forms.upload_error = "\u201ca.txt\u201d: not an audio file: bad\nNothing was stored";
  const std::string html = RenderList(admin, Params(), TrackPage(), {}, forms);
  ExpectNoRawPayload(html);
  EXPECT_TRUE(Has(html, "id=\"url-error\"><p>Url must start with http:// or https://.</p>"));
  EXPECT_TRUE(Has(html, "<p>\u201ca.txt\u201d: not an audio file: bad.</p><p>Nothing was stored.</p>"));
  EXPECT_TRUE(Has(html, "value=\"ftp://x/&lt;script&gt;"));
  EXPECT_TRUE(Has(html, "No tracks to show."));
}

TrackPageData PageData(const Track& t) {
  TrackPageData d;
  d.track = t;
  d.source_shown = "uploads/x.mp3";
  User u;
  u.id = 5;
  u.email = "uploader@example.com";
  d.added_by = u;
  d.play_count = 1234;
  d.form.title = t.title;
  d.form.artist = t.artist;
  return d;
}

std::string RenderTrack(const Principal& viewer, const TrackPageData& d) {
  AdminPage p(Layout(&viewer, "tracks"), "tracks/show.tpl");
  FillTrackPage(p.body(), viewer, d);
  return p.Render(Dir());
}

TEST(TracksViewsTest, TrackPageForAManager) {
  const Principal admin = MakePrincipal(1, Role::kAdmin);
  TrackPageData d = PageData(MakeTrack(7, kXss));
  d.queued = {{3, "Morning <Show>", 2}, {9, "", 1}};
  d.form.title = "";
  d.form.error = "title must not be empty";
  const std::string html = RenderTrack(admin, d);
  ExpectNoRawPayload(html);
  EXPECT_TRUE(Has(html, "<audio id=\"track-audio\""));
  EXPECT_TRUE(Has(html, "src=\"/admin/tracks/7/audio\""));
  EXPECT_TRUE(Has(html, "data-count=\"1,234\">1,234 times"));
  EXPECT_TRUE(Has(html, "<a href=\"/admin/streams/3\">Morning &lt;Show&gt;</a>: 2 items"));
  EXPECT_TRUE(Has(html, "<a href=\"/admin/streams/9\">Stream 9</a>: 1 item <span class=\"muted\">(stream deleted)</span>"));
  EXPECT_TRUE(Has(html, "id=\"track-form\""));
  EXPECT_TRUE(Has(html, "Title must not be empty."));
  EXPECT_TRUE(Has(html, "id=\"t-title\" name=\"title\" type=\"text\" required maxlength=\"500\" value=\"\""));
  EXPECT_TRUE(Has(html, "href=\"/admin/tracks/7/delete\""));
  EXPECT_TRUE(Has(html, "skipped when their turn comes"));
  EXPECT_TRUE(Has(html, "/admin/audit?target_type=track&amp;target_id=7"));
  EXPECT_TRUE(Has(html, "<code class=\"break\">uploads/x.mp3</code>"));
}

TEST(TracksViewsTest, TrackPageForAUserAndForAUrlTrack) {
  const Principal user = MakePrincipal(2, Role::kUser);
  TrackPageData d = PageData(MakeTrack(8, "Remote", "url"));
  d.source_shown = "https://example.com/a.mp3";
  const std::string html = RenderTrack(user, d);
  EXPECT_FALSE(Has(html, "id=\"track-form\""));
  EXPECT_FALSE(Has(html, "/delete"));
  EXPECT_FALSE(Has(html, "<audio"));
  EXPECT_TRUE(Has(html, "id=\"track-remote\""));
  EXPECT_TRUE(Has(html, "href=\"https://example.com/a.mp3\""));
  EXPECT_TRUE(Has(html, "No stream's queue holds this track."));
  EXPECT_FALSE(Has(html, "/admin/users/5"));  // users.view only
  EXPECT_FALSE(Has(html, "/admin/audit"));
}

TEST(TracksViewsTest, DeleteConfirmationStatesConsequences) {
  const Track t = MakeTrack(7, "Doomed");
  auto render = [&](const std::vector<QueuedIn>& queued,
                    const std::vector<std::pair<int64_t, std::string>>& placeholder,
                    const std::string& error) {
    const Principal admin = MakePrincipal(1, Role::kAdmin);
    AdminPage p(Layout(&admin, "tracks"), "tracks/delete.tpl");
    FillDeleteTrack(p.body(), t, queued, placeholder, error);
    return p.Render(Dir());
  };
  std::string html = render({}, {}, "");
  EXPECT_TRUE(Has(html, "No queue holds this track."));
  EXPECT_TRUE(Has(html, "btn btn-danger\">Delete track</button>"));
  html = render({{3, "A", 2}, {4, "B", 1}}, {}, "");
  EXPECT_TRUE(Has(html, "<strong>3 queue items</strong> in 2 streams hold this track. They stay "
                        "in their queues and are skipped when their turn comes."));
  html = render({}, {{3, "morning"}, {4, "night"}}, "track 7 is the placeholder of stream(s) x");
  EXPECT_TRUE(Has(html, "<a href=\"/admin/streams/3\">morning</a>, <a href=\"/admin/streams/4\">night</a>"));
  EXPECT_FALSE(Has(html, "Delete track</button>"));
  EXPECT_TRUE(Has(html, "id=\"delete-error\"><p>Track 7 is the placeholder of stream(s) x.</p>"));
}

TEST(TracksViewsTest, AudioContentTypeAndAccelPath) {
  EXPECT_EQ(AudioContentType("/m/uploads/a.MP3", "mp3"), "audio/mpeg");
  EXPECT_EQ(AudioContentType("/m/a.ogg", "vorbis"), "audio/ogg");
  EXPECT_EQ(AudioContentType("/m/a.wav", "pcm_s16le"), "audio/wav");
  EXPECT_EQ(AudioContentType("/m/a.m4a", "aac"), "audio/mp4");
  EXPECT_EQ(AudioContentType("/m/uploads/abc.bin", "flac"), "audio/flac");
  EXPECT_EQ(AudioContentType("/m/uploads/abc.bin", "pcm_s24le"), "audio/wav");
  EXPECT_EQ(AudioContentType("/m/x.d/noext", "weird"), "application/octet-stream");
  EXPECT_EQ(MediaAccelPath("/__sattva_media/", "uploads/ab12.mp3"),
            "/__sattva_media/uploads/ab12.mp3");
  EXPECT_EQ(MediaAccelPath("/__sattva_media/", "demo/My Song #1?.ogg"),
            "/__sattva_media/demo/My%20Song%20%231%3F.ogg");
  EXPECT_EQ(MediaAccelPath("/__sattva_media/", "caf\xC3\xA9/%.wav"),
            "/__sattva_media/caf%C3%A9/%25.wav");
}

}  // namespace
}  // namespace sattva::fcgi
