#include "common/json.h"

#include <memory>

namespace sattva::common {

bool IsValidUtf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

bool ParseJson(const std::string& text, Json::Value* out, std::string* error) {
  if (!IsValidUtf8(text)) {
    *error = "body is not valid UTF-8";
    return false;
  }
  // Building a reader fills a settings map: far dearer than parsing a small object. Each thread
  // keeps one strict reader (a CharReader is not thread-safe; parse() keeps no state between
  // calls).
  thread_local const std::unique_ptr<Json::CharReader> reader = [] {
    Json::CharReaderBuilder b;
    Json::CharReaderBuilder::strictMode(&b.settings_);
    b.settings_["stackLimit"] = 64;
    b.settings_["rejectDupKeys"] = true;
    b.settings_["failIfExtra"] = true;
    b.settings_["allowSpecialFloats"] = false;
    return std::unique_ptr<Json::CharReader>(b.newCharReader());
  }();
  std::string errs;
  Json::Value v;
  bool ok = false;
  try {
    ok = reader->parse(text.data(), text.data() + text.size(), &v, &errs);
  } catch (const Json::Exception& e) {
    // jsoncpp throws (rather than reports) when nesting passes stackLimit.
    *error = "invalid JSON: nested too deeply";
    return false;
  }
  if (!ok) {
    // jsoncpp's messages span lines; keep the first for the envelope.
    auto nl = errs.find('\n');
    std::string first = errs.substr(0, nl);
    if (first.rfind("* ", 0) == 0) first = first.substr(2);
    *error = "invalid JSON: " + first;
    return false;
  }
  *out = std::move(v);
  return true;
}

std::string WriteJson(const Json::Value& v) {
  Json::StreamWriterBuilder b;
  b["indentation"] = "";
  b["emitUTF8"] = true;
  return Json::writeString(b, v);
}

}  // namespace sattva::common
