// CSV and JSON exports of users, the audit log and play history (the tracks export lives with
// the tracks pages), and the streaming machinery they share (fcgi/admin/export.h).
#include "fcgi/admin/export.h"

#include <ctime>

#include "common/email.h"
#include "common/json.h"
#include "fcgi/admin/audit_views.h"
#include "fcgi/admin/users_views.h"
#include "fcgi/admin/handlers.h"
#include "fcgi/audit.h"
#include "fcgi/auth.h"
#include "fcgi/history.h"
#include "fcgi/streams.h"
#include "fcgi/users.h"

namespace sattva::fcgi {
namespace {

// Output is handed to the client in chunks of about this size, not row by row.
constexpr size_t kFlushBytes = 64 * 1024;

bool NeedsFormulaGuard(const std::string& v) {
  if (v.empty()) return false;
  const char c = v[0];
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

// RFC 4180 quoting of an already guarded value.
void AppendQuoted(std::string* out, const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// One CSV field. Numbers and booleans are written as they are (a negative number is not a
// formula); text gets the formula guard.
void AppendCsvField(std::string* out, const std::string& v, bool guard) {
  if (guard && NeedsFormulaGuard(v)) {
    AppendQuoted(out, "'" + v);
  } else {
    AppendQuoted(out, v);
  }
}

void AppendCsvRow(std::string* out, const ExportRow& row, const std::vector<ExportColumn>* cols) {
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out->push_back(',');
    if (!row[i]) continue;  // null: an empty field
    const bool text = cols == nullptr || i >= cols->size() ||
                      (*cols)[i].type == ExportColumn::Type::kString;
    AppendCsvField(out, *row[i], text);
  }
  out->append("\r\n");
}

// A JSON string literal. PostgreSQL text is valid UTF-8, which passes through unchanged.
void AppendJsonString(std::string* out, const std::string& v) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

bool IsJsonInteger(const std::string& v) {
  size_t i = v.size() > 1 && v[0] == '-' ? 1 : 0;
  if (i >= v.size() || v.size() > 20) return false;
  if (v[i] == '0' && v.size() > i + 1) return false;  // no leading zeros
  for (; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  return true;
}

void AppendJsonValue(std::string* out, const std::optional<std::string>& v,
                     ExportColumn::Type type) {
  if (!v) {
    out->append("null");
    return;
  }
  switch (type) {
    case ExportColumn::Type::kInt:
      if (IsJsonInteger(*v)) {
        out->append(*v);
        return;
      }
      break;
    case ExportColumn::Type::kBool:
      if (*v == "true" || *v == "t") {
        out->append("true");
        return;
      }
      if (*v == "false" || *v == "f") {
        out->append("false");
        return;
      }
      break;
    case ExportColumn::Type::kString:
      break;
  }
  AppendJsonString(out, *v);  // a value that is not what its column says stays text
}

std::string FileStamp(common::Clock::WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return buf;
}

// Buffers the body and hands it to the client in kFlushBytes chunks.
class ChunkedOut {
 public:
  explicit ChunkedOut(const BodyWriter& write) : write_(write) { buf_.reserve(kFlushBytes * 2); }
  std::string* buf() { return &buf_; }
  // False once the client is gone.
  bool MaybeFlush() { return buf_.size() < kFlushBytes || Flush(); }
  bool Flush() {
    if (!ok_) return false;
    if (!buf_.empty()) ok_ = write_(buf_.data(), buf_.size());
    buf_.clear();
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  const BodyWriter& write_;
  std::string buf_;
  bool ok_ = true;
};

}  // namespace

ExportFormat ParseExportFormat(const std::string& s) {
  if (s == "csv") return ExportFormat::kCsv;
  if (s == "json") return ExportFormat::kJson;
  throw HttpError(404, "not_found", "exports are .csv or .json");
}

std::string CsvField(const std::string& value) {
  std::string out;
  AppendCsvField(&out, value, true);
  return out;
}

std::string CsvLine(const ExportRow& row) {
  std::string out;
  AppendCsvRow(&out, row, nullptr);
  return out;
}

std::string JsonObject(const std::vector<ExportColumn>& columns, const ExportRow& row) {
  std::string out = "{";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(&out, columns[i].name);
    out.push_back(':');
    AppendJsonValue(&out, i < row.size() ? row[i] : std::nullopt, columns[i].type);
  }
  out.push_back('}');
  return out;
}

Response ExportResponse(RequestContext& ctx, ExportFormat format, const std::string& file_stem,
                        std::vector<ExportColumn> columns,
                        std::function<void(pqxx::transaction_base& tx, const ExportEmit& emit)>
                            produce) {
  Response resp;
  const bool csv = format == ExportFormat::kCsv;
  resp.SetHeader("Content-Type", csv ? "text/csv; charset=utf-8" : "application/json");
  resp.SetHeader("Content-Disposition", "attachment; filename=\"" + file_stem + "-" +
                                            FileStamp(ctx.env.clock.WallNow()) +
                                            (csv ? ".csv\"" : ".json\""));
  resp.SetHeader("Cache-Control", "no-store");
  // Nginx must pass the body on as it comes instead of buffering a million rows to disk.
  resp.SetHeader("X-Accel-Buffering", "no");
  RequestContext* c = &ctx;
  resp.stream = [c, csv, columns = std::move(columns),
                 produce = std::move(produce)](const BodyWriter& write) {
    ChunkedOut out(write);
    if (csv) {
      ExportRow header;
      for (const ExportColumn& col : columns) header.emplace_back(col.name);
      AppendCsvRow(out.buf(), header, nullptr);
    } else {
      out.buf()->push_back('[');
    }
    // Column names as JSON keys, escaped once.
    std::vector<std::string> keys;
    for (const ExportColumn& col : columns) {
      std::string k;
      AppendJsonString(&k, col.name);
      keys.push_back(k + ":");
    }
    size_t rows = 0;
    const ExportEmit emit = [&](const ExportRow& row) {
      std::string* b = out.buf();
      if (csv) {
        AppendCsvRow(b, row, &columns);
      } else {
        b->append(rows == 0 ? "\n{" : ",\n{");
        for (size_t i = 0; i < columns.size(); ++i) {
          if (i > 0) b->push_back(',');
          b->append(keys[i]);
          AppendJsonValue(b, i < row.size() ? row[i] : std::nullopt, columns[i].type);
        }
        b->push_back('}');
      }
      ++rows;
      return out.MaybeFlush();
    };
    // One read-only snapshot for the whole export: every query the producer runs sees the same
    // data, and the cursor (which lives only inside a transaction) stays open while we write.
    c->res.pg->Run([&](pqxx::connection& conn) {
      pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>
          tx(conn, "export");
      produce(tx, emit);
      tx.commit();
    });
    if (!out.ok()) return;  // the client went away; nothing more to say
    if (!csv) out.buf()->append(rows == 0 ? "]\n" : "\n]\n");
    out.Flush();
  };
  return resp;
}

// --- The exports ------------------------------------------------------------------------------

namespace {

// The route's file extension: each export is registered once per format.
ExportFormat FormatOf(const RequestContext& ctx) {
  const size_t dot = ctx.req.path.rfind('.');
  return ParseExportFormat(dot == std::string::npos ? std::string() : ctx.req.path.substr(dot + 1));
}

std::optional<std::string> NonEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// /admin/users/export.{format}: the users list's filters and sort, every matching row.
Response UsersExport(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kUsersView);
  const ExportFormat format = FormatOf(ctx);
  const UsersListParams params = UsersListParams::Parse(ctx.req.query);
  const UserQuery q = params.ToQuery();
  using T = ExportColumn::Type;
  return ExportResponse(
      ctx, format, "users",
      {{"id", T::kInt},
       {"email", T::kString},
       {"display_name", T::kString},
       {"telegram_id", T::kInt},
       {"role", T::kString},
       {"status", T::kString},
       {"created_at", T::kString},
       {"updated_at", T::kString},
       {"last_login_at", T::kString}},
      [q](pqxx::transaction_base& tx, const ExportEmit& emit) {
        UserStore::ForEach(tx, q, [&](const User& u) {
          return emit({std::to_string(u.id), u.email, u.display_name,
                       u.telegram_id ? std::optional<std::string>(std::to_string(*u.telegram_id))
                                     : std::nullopt,
                       std::string(RoleName(u.role)), std::string(UserStatusName(u.status)),
                       u.created_at, u.updated_at, NonEmpty(u.last_login_at)});
        });
      });
}

// /admin/audit/export.{format}: the audit page's filters, newest first.
Response AuditExport(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kAuditView);
  const ExportFormat format = FormatOf(ctx);
  const AuditListParams params = AuditListParams::Parse(ctx.req.query);
  AuditQuery q = params.ToQuery();
  bool nothing = false;  // an actor email nobody has: no row matches
  if (!params.actor.empty()) {
    int64_t id = 0;
    if (ParseId(params.actor, &id)) {
      q.actor_user_id = id;
    } else {
      ctx.Read([&](pqxx::transaction_base& tx) {
        if (std::optional<User> u =
                UserStore::FindByEmail(tx, common::NormalizeEmail(params.actor))) {
          q.actor_user_id = u->id;
        } else {
          nothing = true;
        }
      });
    }
  }
  // A bad time is a 422 page now, not a broken download later.
  AuditLog::CheckTimes(q);
  using T = ExportColumn::Type;
  return ExportResponse(ctx, format, "audit",
                        {{"id", T::kInt},
                         {"created_at", T::kString},
                         {"actor_user_id", T::kInt},
                         {"actor", T::kString},
                         {"action", T::kString},
                         {"target_type", T::kString},
                         {"target_id", T::kString},
                         {"changes", T::kString},
                         {"ip", T::kString},
                         {"user_agent", T::kString}},
                        [q, nothing](pqxx::transaction_base& tx, const ExportEmit& emit) {
                          if (nothing) return;
                          AuditLog::ForEach(tx, q, [&](const AuditRow& r) {
                            const AuditEntry& e = r.entry;
                            return emit({std::to_string(r.id), r.created_at,
                                         e.actor_user_id ? std::optional<std::string>(
                                                               std::to_string(*e.actor_user_id))
                                                         : std::nullopt,
                                         e.actor_label, e.action, NonEmpty(e.target_type),
                                         NonEmpty(e.target_id), common::WriteJson(e.changes),
                                         NonEmpty(e.ip), NonEmpty(e.user_agent)});
                          });
                        });
}

// /admin/streams/{id}/history/export.{format}: the stream page's history filters, newest first.
Response HistoryExport(RequestContext& ctx) {
  RequirePermission(ctx, Permission::kStreamsView);
  const int64_t stream_id = AdminPathId(ctx);
  const ExportFormat format = FormatOf(ctx);
  const HistoryQuery q = HistoryQueryFromPage(ctx.req.query, stream_id);
  bool exists = false;
  ctx.Read([&](pqxx::transaction_base& tx) { exists = HistoryStore::StreamExists(tx, stream_id); });
  if (!exists) throw HttpError(404, "not_found", "there is no stream " + std::to_string(stream_id));
  using T = ExportColumn::Type;
  return ExportResponse(
      ctx, format, "stream-" + std::to_string(stream_id) + "-history",
      {{"id", T::kInt},
       {"started_at", T::kString},
       {"ended_at", T::kString},
       {"played_ms", T::kInt},
       {"end_reason", T::kString},
       {"error", T::kString},
       {"track_id", T::kInt},
       {"title", T::kString},
       {"artist", T::kString},
       {"queued_by_id", T::kInt},
       {"queued_by", T::kString},
       {"session_id", T::kInt},
       {"queue_item_id", T::kString}},
      [q](pqxx::transaction_base& tx, const ExportEmit& emit) {
        HistoryStore::ForEach(tx, q, [&](const PlayRecord& p) {
          auto num = [](const std::optional<int64_t>& v) {
            return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
          };
          return emit({std::to_string(p.id), p.started_at, NonEmpty(p.ended_at),
                       num(p.played_ms), NonEmpty(p.end_reason), NonEmpty(p.error),
                       num(p.track_id), NonEmpty(p.title), NonEmpty(p.artist),
                       num(p.queued_by_id), NonEmpty(p.queued_by_name),
                       num(p.session_id), NonEmpty(p.queue_item_id)});
        });
      });
}

}  // namespace

void RegisterAdminExportRoutes(Router& router) {
  for (const char* ext : {"csv", "json"}) {
    const std::string e = ext;
    router.Add("GET", "/admin/users/export." + e, AdminHandler(UsersExport));
    router.Add("GET", "/admin/audit/export." + e, AdminHandler(AuditExport));
    router.Add("GET", "/admin/streams/{id}/history/export." + e, AdminHandler(HistoryExport));
  }
}

}  // namespace sattva::fcgi
