#include "fcgi/admin/tracks_views.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/clock_text.h"
#include "fcgi/admin/views.h"
#include "fcgi/permissions.h"

namespace sattva::fcgi {
namespace {

using ctemplate::TemplateDictionary;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string OneDecimal(double v, const char* unit) {
  char buf[32];
  if (v < 10) {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, unit);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f %s", v, unit);
  }
  return buf;
}

std::string StreamsText(int64_t n) {
  return n == 1 ? "1 stream" : std::to_string(n) + " streams";
}

void FillAddedBy(TemplateDictionary* d, const Principal& viewer, std::optional<int64_t> id,
                 const std::string& email, const std::string& name) {
  if (!id || email.empty()) {
    d->ShowSection("ADDED_BY_NONE");
    return;
  }
  // The name people know them by (as the queue shows adders); the email only when there is none.
  const std::string label = name.empty() ? email : name;
  if (Can(viewer.user.role, Permission::kUsersView)) {
    TemplateDictionary* l = d->AddSectionDictionary("ADDED_BY_LINK");
    l->SetValue("HREF", "/admin/users/" + std::to_string(*id));
    l->SetValue("LABEL", label);
  } else {
    d->AddSectionDictionary("ADDED_BY_TEXT")->SetValue("LABEL", label);
  }
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& TrackCodecChoices() {
  static const std::vector<std::pair<std::string, std::string>> kCodecs = {
      {"mp3", "MP3"},           {"aac", "AAC"},
      {"vorbis", "Vorbis"},     {"opus", "Opus"},
      {"flac", "FLAC"},         {"alac", "ALAC"},
      {"pcm_s16le", "PCM 16-bit"}, {"pcm_s24le", "PCM 24-bit"},
      {"pcm_s32le", "PCM 32-bit"}, {"pcm_f32le", "PCM float"},
      {"pcm_u8", "PCM 8-bit"},  {"mp2", "MP2"},
      {"ac3", "AC-3"},          {"eac3", "E-AC-3"},
      {"wmav2", "WMA"},         {"wavpack", "WavPack"},
      {"ape", "Monkey's Audio"}, {"speex", "Speex"},
      {"amr_nb", "AMR-NB"},
  };
  return kCodecs;
}

const ListSpec& TracksListSpec() {
  static const ListSpec kSpec = [] {
    ListSpec s;
    s.base_url = "/admin/tracks";
    s.columns = {{"id", "ID", true},
                 {"title", "Title"},
                 {"artist", "Artist"},
                 {"duration_ms", "Duration", true},
                 {"", "Codec"},
                 {"", "Bitrate"},
                 {"", "Sample rate"},
                 {"", "Size"},
                 {"", "Added by"},
                 {"created_at", "Added", true},
                 {"", "Queued in"}};
    ListFilter q;
    q.key = "q";
    q.max_bytes = 200;
    ListFilter codec;
    codec.key = "codec";
    codec.choices = TrackCodecChoices();
    codec.any_label = "Any codec";
    ListFilter source;
    source.key = "source";
    source.choices = {{"upload", "Uploaded"}, {"url", "URL"}, {"file", "Media folder"}};
    source.any_label = "Any source";
    s.filters = {q, codec, source};
    // Sorted by id ascending, 20 a page (10, 20, 50 or 100): the ListSpec defaults.
    s.noun_one = "track";
    s.noun_many = "tracks";
    return s;
  }();
  return kSpec;
}

TrackQuery TrackQueryFrom(const ListParams& params) {
  TrackQuery q;
  q.q = params.Filter("q");
  q.codec = params.Filter("codec");
  q.source_kind = params.Filter("source");
  q.sort = params.sort;
  q.descending = params.descending();
  q.page = params.page;
  q.per_page = params.per_page;
  return q;
}

std::string FormatTrackDuration(const std::optional<int64_t>& ms) {
  if (!ms || *ms < 0) return "\u2014";
  return common::FormatClock(*ms + 500);  // to the nearest second
}

std::string FormatBitrate(const std::optional<int64_t>& bps) {
  if (!bps || *bps <= 0) return "\u2014";
  return std::to_string((*bps + 500) / 1000) + " kbps";
}

std::string FormatSampleRate(const std::optional<int>& hz) {
  if (!hz || *hz <= 0) return "\u2014";
  if (*hz % 1000 == 0) return std::to_string(*hz / 1000) + " kHz";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f kHz", *hz / 1000.0);
  return buf;
}

std::string FormatSize(const std::optional<int64_t>& bytes) {
  if (!bytes || *bytes < 0) return "\u2014";
  const double b = static_cast<double>(*bytes);
  if (*bytes < 1000) return std::to_string(*bytes) + " B";
  if (b < 1e6) return OneDecimal(b / 1e3, "KB");
  if (b < 1e9) return OneDecimal(b / 1e6, "MB");
  return OneDecimal(b / 1e9, "GB");
}

std::string FormatChannels(const std::optional<int>& channels) {
  if (!channels || *channels <= 0) return "\u2014";
  if (*channels == 1) return "mono";
  if (*channels == 2) return "stereo";
  return std::to_string(*channels) + " channels";
}

std::string GroupThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string TracksSummary(const ListParams& params, const TrackPage& page) {
  const std::string noun = page.total == 1 ? "track" : "tracks";
  if (page.total_kind == TrackPage::Total::kExact) {
    return ListSummary(params.page, params.per_page, page.total, page.items.size(), noun);
  }
  const std::string total = (page.total_kind == TrackPage::Total::kEstimate ? "about " : "more than ") +
                            GroupThousands(page.total);
  if (page.items.empty()) {
    return "Nothing on page " + std::to_string(params.page) + "; there are " + total +
           " tracks in all.";
  }
  const int64_t first = params.offset() + 1;
  const int64_t last = first + static_cast<int64_t>(page.items.size()) - 1;
  return "Showing " + GroupThousands(first) + "\u2013" + GroupThousands(last) + " of " + total +
         " tracks";
}

std::string AudioContentType(const std::string& path, const std::string& codec) {
  static const std::map<std::string, std::string> kByExt = {
      {"mp3", "audio/mpeg"},  {"mp2", "audio/mpeg"},  {"ogg", "audio/ogg"},
      {"oga", "audio/ogg"},   {"opus", "audio/ogg"},  {"spx", "audio/ogg"},
      {"flac", "audio/flac"}, {"wav", "audio/wav"},   {"m4a", "audio/mp4"},
      {"aac", "audio/aac"},   {"weba", "audio/webm"}, {"webm", "audio/webm"},
      {"mka", "audio/x-matroska"}, {"aif", "audio/aiff"}, {"aiff", "audio/aiff"},
      {"aifc", "audio/aiff"}, {"caf", "audio/x-caf"}, {"wma", "audio/x-ms-wma"},
      {"ac3", "audio/ac3"},   {"amr", "audio/amr"},   {"wv", "audio/x-wavpack"},
      {"ape", "audio/x-ape"}};
  const size_t slash = path.rfind('/');
  const size_t dot = path.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash + 1)) {
    auto it = kByExt.find(Lower(path.substr(dot + 1)));
    if (it != kByExt.end()) return it->second;
  }
  static const std::map<std::string, std::string> kByCodec = {
      {"mp3", "audio/mpeg"}, {"mp2", "audio/mpeg"},  {"vorbis", "audio/ogg"},
      {"opus", "audio/ogg"}, {"flac", "audio/flac"}, {"aac", "audio/aac"},
      {"ac3", "audio/ac3"}};
  auto it = kByCodec.find(codec);
  if (it != kByCodec.end()) return it->second;
  if (codec.rfind("pcm_", 0) == 0) return "audio/wav";
  return "application/octet-stream";
}

std::string MediaAccelPath(const std::string& prefix, const std::string& relative_path) {
  std::string out = prefix;
  size_t start = 0;
  while (start <= relative_path.size()) {
    size_t slash = relative_path.find('/', start);
    if (slash == std::string::npos) slash = relative_path.size();
    if (start > 0) out += '/';
    out += PercentEncode(relative_path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

void FillTracksList(TemplateDictionary* d, const Principal& viewer, const ListParams& params,
                    const TrackPage& page, const std::map<int64_t, int64_t>& queued,
                    const TrackAddForms& forms) {
  params.FillForm(d);
  params.FillColumns(d, "COLUMNS");
  // A capped count means at least total + 1 rows: enough for the pager to offer the next page.
  params.FillFooter(d, page.total + (page.total_kind == TrackPage::Total::kAtLeast ? 1 : 0),
                    page.items.size());
  d->SetValue("SUMMARY", TracksSummary(params, page));
  const bool manage = Can(viewer.user.role, Permission::kTracksManage);
  if (manage) {
    TemplateDictionary* m = d->AddSectionDictionary("MANAGE");
    m->SetValue("URL", forms.url);
    m->SetValue("URL_TITLE", forms.url_title);
    m->SetValue("URL_ARTIST", forms.url_artist);
    if (!forms.url_error.empty()) {
      m->AddSectionDictionary("URL_ERROR")->SetValue("TEXT", Sentence(forms.url_error));
    }
    if (!forms.upload_error.empty()) {
      TemplateDictionary* e = m->AddSectionDictionary("UPLOAD_ERROR");
      size_t start = 0;
      while (start < forms.upload_error.size()) {
        size_t nl = forms.upload_error.find('\n', start);
        if (nl == std::string::npos) nl = forms.upload_error.size();
        e->AddSectionDictionary("LINE")->SetValue(
            "TEXT", Sentence(forms.upload_error.substr(start, nl - start)));
        start = nl + 1;
      }
    }
  }
  if (page.items.empty()) {
    d->ShowSection("EMPTY");
    return;
  }
  d->ShowSection("TABLE");
  for (const Track& t : page.items) {
    TemplateDictionary* r = d->AddSectionDictionary("ROW");
    r->SetValue("ID", std::to_string(t.id));
    r->SetValue("TITLE", t.title);
    r->SetValue("ARTIST", t.artist);
    r->SetValue("DURATION", FormatTrackDuration(t.duration_ms));
    r->SetValue("CODEC", t.codec);
    r->SetValue("BITRATE", FormatBitrate(t.bitrate()));
    r->SetValue("SAMPLE_RATE", FormatSampleRate(t.sample_rate));
    r->SetValue("SIZE", FormatSize(t.size_bytes));
    r->SetValue("SOURCE_KIND", t.source_kind);
    r->SetValue("CREATED_AT", t.created_at);
    r->SetValue("CREATED_AT_TEXT", FormatTime(t.created_at));
    FillAddedBy(r, viewer, t.created_by, t.added_by_email, t.added_by_name);
    auto it = queued.find(t.id);
    const int64_t n = it == queued.end() ? 0 : it->second;
    r->SetValue("QUEUED", std::to_string(n));
    r->SetValue("QUEUED_TEXT", n == 0 ? "none" : StreamsText(n));
  }
}

void FillTrackPage(TemplateDictionary* d, const Principal& viewer, const TrackPageData& data) {
  const Track& t = data.track;
  d->SetValue("ID", std::to_string(t.id));
  d->SetValue("TITLE", t.title);
  d->SetValue("ARTIST", t.artist.empty() ? "\u2014" : t.artist);
  d->SetValue("DURATION", FormatTrackDuration(t.duration_ms));
  d->SetValue("CODEC", t.codec);
  d->SetValue("BITRATE", FormatBitrate(t.bitrate()));
  d->SetValue("SAMPLE_RATE", FormatSampleRate(t.sample_rate));
  d->SetValue("CHANNELS", FormatChannels(t.channels));
  d->SetValue("SIZE", FormatSize(t.size_bytes));
  d->SetValue("SOURCE_KIND", t.source_kind);
  d->SetValue("SOURCE", data.source_shown);
  d->SetValue("CREATED_AT", t.created_at);
  d->SetValue("CREATED_AT_TEXT", FormatTime(t.created_at));
  d->SetValue("PLAY_COUNT", GroupThousands(data.play_count));
  d->SetValue("PLAY_COUNT_TEXT", data.play_count == 1 ? "time" : "times");
  if (data.added_by) {
    FillAddedBy(d, viewer, data.added_by->id, data.added_by->email, data.added_by->display_name);
  } else {
    d->ShowSection("ADDED_BY_NONE");
  }
  if (t.source_kind == "url") {
    d->AddSectionDictionary("REMOTE")->SetValue("URL", t.source);
  } else {
    d->AddSectionDictionary("PLAYER")->SetValue("SRC",
                                                "/admin/tracks/" + std::to_string(t.id) + "/audio");
  }
  if (data.queued.empty()) {
    d->ShowSection("NOT_QUEUED");
  } else {
    TemplateDictionary* q = d->AddSectionDictionary("QUEUED");
    for (const QueuedIn& s : data.queued) {
      TemplateDictionary* i = q->AddSectionDictionary("STREAM");
      i->SetValue("ID", std::to_string(s.stream_id));
      i->SetValue("TITLE", s.title.empty() ? "Stream " + std::to_string(s.stream_id) : s.title);
      i->SetValue("ITEMS", s.items == 1 ? "1 item" : std::to_string(s.items) + " items");
      if (s.title.empty()) i->ShowSection("GONE");
    }
  }
  if (Can(viewer.user.role, Permission::kTracksManage)) {
    TemplateDictionary* e = d->AddSectionDictionary("EDIT");
    e->SetValue("FORM_TITLE", data.form.title);
    e->SetValue("FORM_ARTIST", data.form.artist);
    if (!data.form.error.empty()) {
      e->AddSectionDictionary("ERROR")->SetValue("TEXT", Sentence(data.form.error));
    }
    d->ShowSection("DANGER");
  }
  if (Can(viewer.user.role, Permission::kAuditView)) {
    d->AddSectionDictionary("AUDIT_LINK")
        ->SetValue("HREF", "/admin/audit?target_type=track&target_id=" + std::to_string(t.id));
  }
}

void FillDeleteTrack(TemplateDictionary* d, const Track& track, const std::vector<QueuedIn>& queued,
                     const std::vector<std::pair<int64_t, std::string>>& placeholder_of,
                     const std::string& error) {
  d->SetValue("ID", std::to_string(track.id));
  d->SetValue("TITLE", track.title);
  d->SetValue("ARTIST", track.artist.empty() ? "\u2014" : track.artist);
  d->SetValue("SOURCE_KIND", track.source_kind);
  if (!error.empty()) d->AddSectionDictionary("ERROR")->SetValue("TEXT", Sentence(error));
  int64_t items = 0;
  for (const QueuedIn& q : queued) items += q.items;
  if (items == 0) {
    d->ShowSection("NOT_QUEUED");
  } else {
    TemplateDictionary* q = d->AddSectionDictionary("QUEUED");
    q->SetValue("ITEMS", items == 1 ? "1 queue item" : std::to_string(items) + " queue items");
    q->SetValue("STREAMS", StreamsText(static_cast<int64_t>(queued.size())));
  }
  if (!placeholder_of.empty()) {
    TemplateDictionary* p = d->AddSectionDictionary("PLACEHOLDER");
    for (const auto& [id, slug] : placeholder_of) {
      TemplateDictionary* s = p->AddSectionDictionary("STREAM");
      s->SetValue("ID", std::to_string(id));
      s->SetValue("SLUG", slug);
    }
  } else {
    d->ShowSection("CAN_DELETE");
  }
}

}  // namespace sattva::fcgi
