#pragma once
// Streamed CSV and JSON exports (users, tracks, audit log, play history). A handler checks the
// permission and parses the list's filters first (errors are ordinary 4xx pages), then returns
// ExportResponse: the rows are read through a server-side cursor (fcgi/pg_cursor.h) inside one
// transaction and written as they come, so memory stays constant however many rows match.
//
//   CSV: RFC 4180 (CRLF line ends, fields quoted when they hold a comma, quote, CR or LF), a
//        header row of the column names, UTF-8 without a BOM. A field that starts with = + - @
//        TAB or CR gets a leading ' so spreadsheets do not run it as a formula.
//   JSON: one array of objects, column name -> value (kInt as a number, kBool as true/false,
//        a null value as null), written object by object.
//
// Thread-safe functions; the Response's stream runs on the calling worker thread.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "fcgi/context.h"
#include "fcgi/http.h"

namespace sattva::fcgi {

enum class ExportFormat { kCsv, kJson };

// "csv" or "json" (the route's {format} or the file extension); 404 for anything else.
ExportFormat ParseExportFormat(const std::string& s);

struct ExportColumn {
  enum class Type { kString, kInt, kBool };
  std::string name;
  Type type = Type::kString;
};

// One row's values in column order; nullopt is null (an empty CSV field). kInt values are
// decimal text, kBool values "true"/"false".
using ExportRow = std::vector<std::optional<std::string>>;
using ExportEmit = std::function<bool(const ExportRow& row)>;  // false: the client is gone

// Calls `produce(tx, emit)` inside one read-only transaction on this worker's connection while
// the body streams. Content-Type text/csv or application/json, Content-Disposition attachment
// with `file_stem` + "-YYYYMMDD-HHMMSS.csv|json" (UTC), Cache-Control no-store.
Response ExportResponse(RequestContext& ctx, ExportFormat format, const std::string& file_stem,
                        std::vector<ExportColumn> columns,
                        std::function<void(pqxx::transaction_base& tx, const ExportEmit& emit)>
                            produce);

// The text forms, for tests and for handlers that build rows.
std::string CsvField(const std::string& value);
std::string CsvLine(const ExportRow& row);  // with the trailing CRLF
// One JSON object of the array ({"name":value,...}), typed by `columns`.
std::string JsonObject(const std::vector<ExportColumn>& columns, const ExportRow& row);

}  // namespace sattva::fcgi
