#include "fcgi/http.h"

#include "common/json.h"

namespace sattva::fcgi {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* Request::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? nullptr : &it->second;
}

const std::string* Request::QueryParam(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? nullptr : &it->second;
}

void Response::SetHeader(const std::string& name, const std::string& value) {
  for (auto& h : headers) {
    if (h.first == name) {
      h.second = value;
      return;
    }
  }
  headers.emplace_back(name, value);
}

Response Response::Json(int status, const Json::Value& body) {
  Response r;
  r.status = status;
  r.SetHeader("Content-Type", "application/json; charset=utf-8");
  r.SetHeader("Cache-Control", "no-store");
  r.body = common::WriteJson(body);
  r.body += '\n';
  return r;
}

Response Response::NoContent() {
  Response r;
  r.status = 204;
  return r;
}

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

bool PercentDecode(const std::string& in, bool plus_as_space, std::string* out) {
  std::string r;
  r.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0') return false;
      r += d;
      i += 2;
    } else if (c == '+' && plus_as_space) {
      r += ' ';
    } else if (c == '\0') {
      return false;
    } else {
      r += c;
    }
  }
  *out = std::move(r);
  return true;
}

std::string PercentEncode(const std::string& in, const std::string& also_keep) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                            c == '~' || (c != 0 && also_keep.find(static_cast<char>(c)) != std::string::npos);
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool ParseQuery(const std::string& qs, std::multimap<std::string, std::string>* out) {
  size_t start = 0;
  while (start <= qs.size()) {
    size_t amp = qs.find('&', start);
    if (amp == std::string::npos) amp = qs.size();
    std::string part = qs.substr(start, amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string k, v;
      if (!PercentDecode(part.substr(0, eq), true, &k)) return false;
      if (eq != std::string::npos && !PercentDecode(part.substr(eq + 1), true, &v)) return false;
      out->emplace(std::move(k), std::move(v));
    }
    start = amp + 1;
  }
  return true;
}

namespace {
std::string MediaType(const Request& req) {
  const std::string* ct = req.Header("content-type");
  if (ct == nullptr) return "";
  std::string t = ct->substr(0, ct->find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}
}  // namespace

std::multimap<std::string, std::string> ParseForm(const Request& req) {
  if (MediaType(req) != "application/x-www-form-urlencoded") {
    throw HttpError(415, "unsupported_media_type",
                    "expected a form (application/x-www-form-urlencoded)");
  }
  std::multimap<std::string, std::string> form;
  if (!ParseQuery(req.body, &form)) {
    throw HttpError(400, "bad_request", "the form has malformed percent-encoding");
  }
  for (const auto& [k, v] : form) {
    if (!common::IsValidUtf8(k) || !common::IsValidUtf8(v)) {
      throw HttpError(400, "bad_request", "the form is not valid UTF-8");
    }
  }
  return form;
}

std::string FormValue(const std::multimap<std::string, std::string>& form, const std::string& key) {
  auto it = form.find(key);
  return it == form.end() ? std::string() : it->second;
}

Json::Value ParseJsonBody(const Request& req) {
  if (MediaType(req) != "application/json") {
    throw HttpError(415, "unsupported_media_type", "expected Content-Type: application/json");
  }
  Json::Value v;
  std::string err;
  if (!common::ParseJson(req.body, &v, &err)) throw HttpError(400, "invalid_json", err);
  if (!v.isObject()) throw HttpError(400, "invalid_type", "the body must be a JSON object");
  return v;
}

Json::Value ErrorEnvelope(const std::string& code, const std::string& message) {
  Json::Value v(Json::objectValue);
  v["error"]["code"] = code;
  v["error"]["message"] = message;
  return v;
}

std::string HtmlEscape(const std::string& s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': r += "&amp;"; break;
      case '<': r += "&lt;"; break;
      case '>': r += "&gt;"; break;
      case '"': r += "&quot;"; break;
      case '\'': r += "&#39;"; break;
      default: r += c;
    }
  }
  return r;
}

}  // namespace sattva::fcgi
