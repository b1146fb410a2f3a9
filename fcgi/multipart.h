#pragma once
// A streaming multipart/form-data parser (RFC 7578, RFC 2046 section 5.1). Bytes are fed in
// chunks of any size and split at any point; part bodies are passed on as they arrive, so a
// large upload is never held in memory (the parser keeps at most one delimiter's worth of bytes
// back, plus one part's header block).
//
// Strict where it matters: lines end in CRLF, the delimiter is CRLF "--" boundary (the first one
// may start the body), every part has headers with a Content-Disposition of form-data and a
// name, and the body must end with the close delimiter ("--" boundary "--"). The preamble and
// epilogue are ignored. Not thread-safe; one parser per body.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>

namespace sattva::fcgi {

class MultipartError : public std::runtime_error {
 public:
  enum class Kind { kMalformed, kTooLarge };
  MultipartError(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// One part's headers.
struct MultipartPart {
  std::string name;           // the Content-Disposition name parameter
  bool has_filename = false;  // a filename (or filename*) parameter was present
  std::string filename;       // as sent (filename* decoded); never to be used as a path
  std::string content_type;   // the part's Content-Type, "" when absent
  std::map<std::string, std::string> headers;  // lower-case names; folded lines joined
};

struct MultipartLimits {
  size_t max_header_bytes = 16 * 1024;  // one part's header block
  size_t max_parts = 16;
  uint64_t max_part_bytes = UINT64_MAX;  // any one part's body
};

class MultipartParser {
 public:
  struct Callbacks {
    std::function<void(const MultipartPart&)> on_part_begin;
    std::function<void(const char* data, size_t size)> on_part_data;
    std::function<void()> on_part_end;
  };

  // `boundary` is the boundary parameter's value, unquoted (see MultipartBoundary).
  MultipartParser(std::string boundary, Callbacks callbacks, MultipartLimits limits = {});

  // Parses the next bytes. Throws MultipartError; exceptions thrown by the callbacks pass
  // through. After an exception the parser must not be used again.
  void Feed(const char* data, size_t size);
  // The input ended: throws MultipartError (kMalformed) unless the close delimiter was seen.
  void Finish();
  bool done() const { return state_ == State::kEpilogue; }
  size_t parts() const { return parts_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kEpilogue };
  void Process();
  void ParseHeaders(const std::string& block);

  std::string delimiter_;  // "\r\n--" + boundary
  Callbacks cb_;
  MultipartLimits limits_;
  State state_ = State::kPreamble;
  std::string buf_;  // unconsumed input
  uint64_t part_bytes_ = 0;
  size_t parts_ = 0;
  size_t padding_ = 0;  // transport padding seen after the current delimiter
};

// The boundary of a "multipart/form-data; boundary=..." Content-Type value (quoted or not),
// checked against RFC 2046's rules (1 to 70 characters of its set, not ending in a space).
// Returns false when the type is not multipart/form-data or the boundary is absent or invalid.
bool MultipartBoundary(const std::string& content_type, std::string* boundary);

// True when the Content-Type value's media type is multipart/form-data (parameters ignored).
bool IsMultipartFormData(const std::string& content_type);

// Parses `form-data; name="x"; filename="a.mp3"` into *part (name, has_filename, filename).
// Quoted strings may hold backslash escapes; filename* (RFC 5987, UTF-8'') wins over filename.
// Returns false when it is not form-data or has no name.
bool ParseContentDisposition(const std::string& value, MultipartPart* part);

}  // namespace sattva::fcgi
