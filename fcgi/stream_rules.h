#pragma once
// The rules for changing streams and their queues, shared by the REST API (api_streams.cc) and
// the admin pages (admin/streams.cc). Each function authorizes (403; the caller has already
// checked login and CSRF), validates (422), applies the change, writes the audit row (in the
// same transaction for PostgreSQL changes; one INSERT right after a queue change, whose
// atomic unit is the Redis script), and tells the streamers (PUBLISH on sattva:control).
// Unknown streams, tracks and items are 404; a stale if_version is 409 ("stale_version").

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <json/json.h>

#include "fcgi/context.h"
#include "fcgi/queue.h"
#include "fcgi/streams.h"

namespace sattva::fcgi {

// --- validation ------------------------------------------------------------------------------

inline constexpr int64_t kMinAutoEndTimeoutS = 10;
inline constexpr int64_t kMaxAutoEndTimeoutS = 86400;

// 422 ("validation_failed") naming the first bad field: slug (1-63 of a-z, 0-9, '-', starting
// with a letter or digit), title (1-200 characters, valid UTF-8, no control characters),
// description (valid UTF-8, <= 5000 bytes), auto_end_timeout_s (10..86400), placeholder id
// (positive). On create, slug and title are required.
void ValidateStreamFields(const StreamFields& f, bool create);
// A JSON body (POST/PATCH /api/v1/streams): 400 ("invalid_type") for a field of the wrong
// type, 422 for unknown fields and the rules above.
StreamFields StreamFieldsFromJson(const Json::Value& body, bool create);

// --- streams ---------------------------------------------------------------------------------

// streams.manage. Audits "stream.create".
Stream CreateStreamChecked(RequestContext& ctx, const Principal& p, const StreamFields& f);
// streams.manage. Audits "stream.update" with the changed fields (nothing when none changed),
// and notifies the streamers (auto-end settings act at once). *changed says whether any did.
Stream UpdateStreamChecked(RequestContext& ctx, const Principal& p, int64_t id,
                           const StreamFields& f, bool* changed = nullptr);
// streams.manage. Ends the open session (manual), soft-deletes, audits "stream.delete",
// stops it and purges its queue keys (and their track index entries).
Stream DeleteStreamChecked(RequestContext& ctx, const Principal& p, int64_t id);
// streams.manage. `action` is start, stop or skip. Skip of a stream that is not running is
// 409 ("not_running"). Audits "stream.<action>". Returns the stream after the action.
Stream StreamActionChecked(RequestContext& ctx, const Principal& p, int64_t id,
                           const std::string& action);
// A live stream or 404.
Stream LoadStreamOr404(RequestContext& ctx, int64_t id);

// --- queues ----------------------------------------------------------------------------------

QueueStore QueueOf(RequestContext& ctx);

// queue.add. `at` is "end", "next" or a 1-based position. Unknown stream or track: 404.
// Audits "queue.add" for staff (users' own additions are not audited).
QueueChange AddToQueueChecked(RequestContext& ctx, const Principal& p, int64_t stream_id,
                              const std::vector<int64_t>& track_ids, const std::string& at,
                              std::optional<int64_t> if_version,
                              std::vector<std::string>* item_ids = nullptr);
// queue.add for one's own items, queue.manage for anyone's (403 otherwise).
QueueChange RemoveFromQueueChecked(RequestContext& ctx, const Principal& p, int64_t stream_id,
                                   const std::string& item_id, std::optional<int64_t> if_version);
// queue.manage. `to` is 1-based.
QueueChange MoveInQueueChecked(RequestContext& ctx, const Principal& p, int64_t stream_id,
                               const std::string& item_id, int64_t to,
                               std::optional<int64_t> if_version);
// queue.manage.
QueueChange ShuffleQueueChecked(RequestContext& ctx, const Principal& p, int64_t stream_id,
                                std::optional<int64_t> if_version);
// queue.manage.
QueueChange ClearQueueChecked(RequestContext& ctx, const Principal& p, int64_t stream_id,
                              std::optional<int64_t> if_version);

// A queue item id as it appears in a path: 1-18 digits, else 404.
std::string QueueItemIdOr404(const std::string& text);

}  // namespace sattva::fcgi
