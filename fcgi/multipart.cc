#include "fcgi/multipart.h"

#include <cctype>
#include <cstring>
#include <utility>
#include <vector>

#include "fcgi/http.h"

namespace sattva::fcgi {
namespace {

constexpr size_t kMaxPadding = 64;  // transport padding after a delimiter

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsWs(char c) { return c == ' ' || c == '\t'; }

std::string TrimWs(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && IsWs(s[b])) ++b;
  while (e > b && IsWs(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// RFC 7230 tchar.
bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Splits `type; a=b; c="d"` into the lower-cased type and the parameters (lower-cased names;
// the first of duplicate names wins). Quoted strings may hold backslash escapes: `\"` and `\\`
// are unescaped, any other backslash is kept (browsers do not escape it in file names).
bool ParseParams(const std::string& value, std::string* type,
                 std::vector<std::pair<std::string, std::string>>* params) {
  size_t i = value.find(';');
  *type = Lower(TrimWs(value.substr(0, i)));
  if (type->empty()) return false;
  while (i != std::string::npos && i < value.size()) {
    ++i;  // past ';'
    while (i < value.size() && IsWs(value[i])) ++i;
    if (i >= value.size()) break;  // a trailing ';'
    const size_t name_start = i;
    while (i < value.size() && IsTokenChar(value[i])) ++i;
    std::string name = Lower(value.substr(name_start, i - name_start));
    while (i < value.size() && IsWs(value[i])) ++i;
    if (name.empty() || i >= value.size() || value[i] != '=') return false;
    ++i;
    while (i < value.size() && IsWs(value[i])) ++i;
    std::string v;
    if (i < value.size() && value[i] == '"') {
      ++i;
      bool closed = false;
      while (i < value.size()) {
        const char c = value[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < value.size() && (value[i] == '"' || value[i] == '\\')) {
          v += value[i++];
        } else {
          v += c;
        }
      }
      if (!closed) return false;
      while (i < value.size() && IsWs(value[i])) ++i;
      if (i < value.size() && value[i] != ';') return false;
    } else {
      const size_t start = i;
      while (i < value.size() && value[i] != ';') ++i;
      v = TrimWs(value.substr(start, i - start));
    }
    bool seen = false;
    for (const auto& p : *params) seen = seen || p.first == name;
    if (!seen) params->emplace_back(std::move(name), std::move(v));
    i = value.find(';', i);
  }
  return true;
}

const std::string* FindParam(const std::vector<std::pair<std::string, std::string>>& params,
                             const char* name) {
  for (const auto& p : params) {
    if (p.first == name) return &p.second;
  }
  return nullptr;
}

bool IsBoundaryChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::strchr("'()+_,-./:=? ", c) != nullptr;
}

}  // namespace

bool IsMultipartFormData(const std::string& content_type) {
  return Lower(TrimWs(content_type.substr(0, content_type.find(';')))) == "multipart/form-data";
}

bool MultipartBoundary(const std::string& content_type, std::string* boundary) {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  if (!ParseParams(content_type, &type, &params) || type != "multipart/form-data") return false;
  const std::string* b = FindParam(params, "boundary");
  if (b == nullptr || b->empty() || b->size() > 70 || b->back() == ' ') return false;
  for (char c : *b) {
    if (!IsBoundaryChar(c)) return false;
  }
  *boundary = *b;
  return true;
}

bool ParseContentDisposition(const std::string& value, MultipartPart* part) {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  if (!ParseParams(value, &type, &params) || type != "form-data") return false;
  const std::string* name = FindParam(params, "name");
  if (name == nullptr || name->empty()) return false;
  part->name = *name;
  part->has_filename = false;
  part->filename.clear();
  if (const std::string* f = FindParam(params, "filename")) {
    part->has_filename = true;
    part->filename = *f;
  }
  // RFC 5987: UTF-8'language'percent-encoded. Other charsets are ignored.
  if (const std::string* f = FindParam(params, "filename*")) {
    const size_t q1 = f->find('\'');
    const size_t q2 = q1 == std::string::npos ? q1 : f->find('\'', q1 + 1);
    std::string decoded;
    if (q2 != std::string::npos && Lower(f->substr(0, q1)) == "utf-8" &&
        PercentDecode(f->substr(q2 + 1), false, &decoded)) {
      part->has_filename = true;
      part->filename = decoded;
    }
  }
  return true;
}

MultipartParser::MultipartParser(std::string boundary, Callbacks callbacks, MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), cb_(std::move(callbacks)), limits_(limits) {
  if (boundary.empty()) throw std::invalid_argument("empty multipart boundary");
  // The first delimiter may start the body: read the body as if a CRLF preceded it.
  buf_ = "\r\n";
}

void MultipartParser::Feed(const char* data, size_t size) {
  if (state_ == State::kEpilogue) return;
  buf_.append(data, size);
  Process();
}

void MultipartParser::Finish() {
  if (state_ != State::kEpilogue) {
    throw MultipartError(MultipartError::Kind::kMalformed,
                         "the multipart body ends before its closing boundary");
  }
}

void MultipartParser::Process() {
  const size_t keep = delimiter_.size() - 1;  // a delimiter may start in the last bytes
  for (;;) {
    switch (state_) {
      case State::kPreamble: {
        const size_t p = buf_.find(delimiter_);
        if (p == std::string::npos) {
          if (buf_.size() > keep) buf_.erase(0, buf_.size() - keep);  // the preamble is ignored
          return;
        }
        buf_.erase(0, p + delimiter_.size());
        state_ = State::kAfterDelimiter;
        padding_ = 0;
        break;
      }
      case State::kAfterDelimiter: {
        if (padding_ == 0 && buf_.size() >= 2 && buf_[0] == '-' && buf_[1] == '-') {
          state_ = State::kEpilogue;  // the close delimiter; what follows is ignored
          buf_.clear();
          return;
        }
        size_t i = 0;
        while (i < buf_.size() && IsWs(buf_[i])) ++i;
        padding_ += i;
        buf_.erase(0, i);
        if (padding_ > kMaxPadding) {
          throw MultipartError(MultipartError::Kind::kMalformed,
                               "too much whitespace after a multipart boundary");
        }
        if (buf_.size() < 2) {
          if (buf_.empty() || buf_[0] == '\r' || (padding_ == 0 && buf_[0] == '-')) return;
          throw MultipartError(MultipartError::Kind::kMalformed,
                               "a multipart boundary is followed by something other than CRLF");
        }
        if (buf_[0] != '\r' || buf_[1] != '\n') {
          throw MultipartError(MultipartError::Kind::kMalformed,
                               "a multipart boundary is followed by something other than CRLF");
        }
        buf_.erase(0, 2);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        std::string block;
        if (buf_.size() >= 2 && buf_[0] == '\r' && buf_[1] == '\n') {
          buf_.erase(0, 2);  // no headers at all (refused by ParseHeaders)
        } else {
          const size_t p = buf_.find("\r\n\r\n");
          const bool too_long = p == std::string::npos ? buf_.size() > limits_.max_header_bytes + 3
                                                       : p > limits_.max_header_bytes;
          if (too_long) {
            throw MultipartError(MultipartError::Kind::kMalformed,
                                 "a multipart part's headers are longer than " +
                                     std::to_string(limits_.max_header_bytes) + " bytes");
          }
          if (p == std::string::npos) return;
          block = buf_.substr(0, p);
          buf_.erase(0, p + 4);
        }
        if (parts_ >= limits_.max_parts) {
          throw MultipartError(
              MultipartError::Kind::kMalformed,
              "more than " + std::to_string(limits_.max_parts) + " multipart parts");
        }
        ParseHeaders(block);
        break;
      }
      case State::kBody: {
        const size_t p = buf_.find(delimiter_);
        const size_t n = p != std::string::npos ? p : (buf_.size() > keep ? buf_.size() - keep : 0);
        if (n > 0) {
          if (limits_.max_part_bytes - part_bytes_ < n) {
            throw MultipartError(MultipartError::Kind::kTooLarge,
                                 "a multipart part is larger than " +
                                     std::to_string(limits_.max_part_bytes) + " bytes");
          }
          part_bytes_ += n;
          if (cb_.on_part_data) cb_.on_part_data(buf_.data(), n);
        }
        if (p == std::string::npos) {
          buf_.erase(0, n);
          return;
        }
        buf_.erase(0, p + delimiter_.size());
        if (cb_.on_part_end) cb_.on_part_end();
        state_ = State::kAfterDelimiter;
        padding_ = 0;
        break;
      }
      case State::kEpilogue:
        buf_.clear();
        return;
    }
  }
}

void MultipartParser::ParseHeaders(const std::string& block) {
  MultipartPart part;
  std::string last;
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find("\r\n", pos);
    if (eol == std::string::npos) eol = block.size();
    const std::string line = block.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.find('\r') != std::string::npos || line.find('\n') != std::string::npos ||
        line.find('\0') != std::string::npos) {
      throw MultipartError(MultipartError::Kind::kMalformed,
                           "a multipart part header has a bare CR, LF or NUL");
    }
    if (!line.empty() && IsWs(line[0])) {  // an obsolete folded continuation line
      if (last.empty()) {
        throw MultipartError(MultipartError::Kind::kMalformed,
                             "a multipart part's headers start with a continuation line");
      }
      part.headers[last] += " " + TrimWs(line);
      continue;
    }
    const size_t colon = line.find(':');
    std::string name = colon == std::string::npos ? "" : Lower(line.substr(0, colon));
    bool token = !name.empty();
    for (char c : name) token = token && IsTokenChar(c);
    if (!token) {
      throw MultipartError(MultipartError::Kind::kMalformed,
                           "a multipart part header is not 'Name: value'");
    }
    if (part.headers.count(name) != 0) {
      throw MultipartError(MultipartError::Kind::kMalformed,
                           "a multipart part repeats the header " + name.substr(0, 60));
    }
    part.headers[name] = TrimWs(line.substr(colon + 1));
    last = name;
  }
  auto cd = part.headers.find("content-disposition");
  if (cd == part.headers.end() || !ParseContentDisposition(cd->second, &part)) {
    throw MultipartError(MultipartError::Kind::kMalformed,
                         "a multipart part has no 'Content-Disposition: form-data' with a name");
  }
  auto ct = part.headers.find("content-type");
  if (ct != part.headers.end()) part.content_type = ct->second;
  ++parts_;
  part_bytes_ = 0;
  state_ = State::kBody;
  if (cb_.on_part_begin) cb_.on_part_begin(part);
}

}  // namespace sattva::fcgi
