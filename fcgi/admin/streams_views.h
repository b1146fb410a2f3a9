#pragma once
// The streams pages' views: data in, HTML dictionaries out (templates/streams/*.tpl), no I/O.
// fcgi/admin/streams.cc reads PostgreSQL and Redis, applies fcgi/stream_rules.h and calls these;
// tests/unit/fcgi/admin_streams_test.cc renders them directly. Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ctemplate/template.h>

#include "fcgi/admin/list.h"
#include "fcgi/context.h"
#include "fcgi/queue.h"
#include "fcgi/streams.h"
#include "fcgi/tracks.h"

namespace sattva::fcgi {

// --- small helpers ---------------------------------------------------------------------------

// 42 -> "0:42", 3725 -> "1:02:05".
std::string ClockText(int64_t seconds);
// "the queue changed" style messages -> which form field they are about ("slug", "title",
// "description", "placeholder_track_id", "auto_end_timeout_s"), or "".
std::string StreamErrorField(const std::string& message);

// --- the list --------------------------------------------------------------------------------

// /admin/streams: q (title or slug), state (running | stopped), sort id|title|slug|created_at.
const ListSpec& StreamsListSpec();
StreamQuery StreamQueryFrom(const ListParams& params);

struct StreamRow {
  Stream stream;
  StreamLive live;
};

struct NewStreamForm {
  std::string title;
  std::string slug;
  std::string description;
  std::string error;
};

void FillStreamsList(ctemplate::TemplateDictionary* d, const Principal& viewer,
                     const ListParams& params, const std::vector<StreamRow>& rows, int64_t total,
                     int64_t now_ms, const NewStreamForm& form);

// --- the stream page -------------------------------------------------------------------------

// How many queue items the stream page lists unless asked for all (?queue=all): a long queue's
// page stays small and fast.
inline constexpr int64_t kQueueShown = 50;

// The settings form's values: as typed (after an error) or from the stream.
struct StreamSettingsForm {
  std::string title;
  std::string slug;
  std::string description;
  std::string placeholder_track_id;  // "" for none
  bool auto_end_enabled = true;
  std::string auto_end_timeout_s;
  bool is_public = true;
  std::string error;
};
StreamSettingsForm SettingsFormFrom(const Stream& s);

struct StreamPageData {
  Stream stream;
  StreamLive live;
  // The queue; its first kQueueShown items unless queue_all (queue=all in the query).
  QueueSnapshot queue;
  bool queue_all = false;
  std::string public_url;  // "http://host:port", no trailing slash
  int64_t now_ms = 0;
  // The catalog search (track_q) and its results; searched is false when there was no query.
  std::string track_q;
  bool searched = false;
  std::vector<Track> track_results;
  int64_t track_total = 0;
  // The current placeholder track, when set and still known.
  std::optional<Track> placeholder;
  // The queue form's outcome: a stale if_version (409), or another refusal (422/404/403).
  bool queue_conflict = false;
  std::string queue_error;
};

void FillStreamPage(ctemplate::TemplateDictionary* d, const Principal& viewer,
                    const StreamPageData& data, const StreamSettingsForm& form);
void FillDeleteStream(ctemplate::TemplateDictionary* d, const Stream& s, int64_t queue_length);
void FillClearQueue(ctemplate::TemplateDictionary* d, const Stream& s, int64_t queue_length,
                    int64_t version);

}  // namespace sattva::fcgi
