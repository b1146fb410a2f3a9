#pragma once
// Request and response types for the FastCGI handlers, and the one error type handlers throw.
// Control-plane code throws HttpError; the server catches it once and renders one JSON error
// envelope {"error":{"code","message"}} (or an HTML page under /admin) with the right status.

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <json/json.h>

namespace sattva::fcgi {

struct Request {
  std::string method;     // upper-case
  std::string raw_uri;    // as sent, e.g. /api/v1/streams/7?x=1
  std::string path;       // percent-decoded path, no query
  std::string query_string;
  std::multimap<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;       // lower-case names
  std::string body;
  // Set instead of `body` when nginx left a multipart body on disk (the REQUEST_BODY_FILE
  // param; see TakeBodyFile in fcgi/server.h). The file is nginx's and gone after the request.
  std::string body_file;
  std::string remote_addr;
  std::map<std::string, std::string> params;        // route parameters, e.g. {"id":"7"}
  std::string route;                                // the matched route template

  const std::string* Header(const std::string& lower_name) const;
  // The first value of a query parameter, or nullptr.
  const std::string* QueryParam(const std::string& name) const;
};

// Writes part of a streamed body; false once the client is gone (stop producing then).
using BodyWriter = std::function<bool(const char* data, size_t size)>;

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Set instead of `body` for an answer produced as it is written (an export of a million
  // rows): the server sends the status and headers without Content-Length, then calls it on
  // the worker thread while the request's context (its PostgreSQL and Redis connections) is
  // still alive. It must not throw HttpError for the client: the status is already sent; an
  // exception aborts the response (the client sees a truncated body) and is logged.
  std::function<void(const BodyWriter& write)> stream;

  void SetHeader(const std::string& name, const std::string& value);
  static Response Json(int status, const Json::Value& body);
  static Response NoContent();
};

class HttpError : public std::runtime_error {
 public:
  HttpError(int status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& code() const { return code_; }
  std::vector<std::pair<std::string, std::string>> headers;

 private:
  int status_;
  std::string code_;
};

// "OK", "Not Found", ... for a status code.
const char* StatusText(int status);
// Decodes %XX escapes. `plus_as_space` for query strings. Returns false on a malformed escape
// or a decoded NUL byte.
bool PercentDecode(const std::string& in, bool plus_as_space, std::string* out);
// Percent-encodes everything but RFC 3986 unreserved characters and those in `also_keep`
// (e.g. "/" for a path).
std::string PercentEncode(const std::string& in, const std::string& also_keep = "");
// Splits "a=1&b=x%20y" into decoded pairs. Returns false on malformed percent-encoding.
bool ParseQuery(const std::string& qs, std::multimap<std::string, std::string>* out);
// The fields of an application/x-www-form-urlencoded body. Throws HttpError 400 when the body is
// malformed or not valid UTF-8, 415 when the request has another content type.
std::multimap<std::string, std::string> ParseForm(const Request& req);
// The first value of a form field, or "".
std::string FormValue(const std::multimap<std::string, std::string>& form, const std::string& key);
// The body as one JSON object. Throws HttpError 415 (not application/json), 400 (invalid JSON,
// code "invalid_json"; not an object, code "invalid_type").
Json::Value ParseJsonBody(const Request& req);
// {"error":{"code":code,"message":message}}
Json::Value ErrorEnvelope(const std::string& code, const std::string& message);
// Escapes text for HTML element content and attribute values.
std::string HtmlEscape(const std::string& s);

}  // namespace sattva::fcgi
