// The streaming multipart/form-data parser: any chunking gives the same parts, CRLF rules,
// boundaries, part headers, limits and malformed bodies.
#include "fcgi/multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sattva::fcgi {
namespace {

struct Parsed {
  MultipartPart part;
  std::string data;
  bool ended = false;
};

// Parses `body` fed in chunks of `chunk` bytes (0: all at once) and calls Finish.
std::vector<Parsed> Parse(const std::string& boundary, const std::string& body, size_t chunk = 0,
                          MultipartLimits limits = {}) {
  std::vector<Parsed> out;
  MultipartParser::Callbacks cb;
  cb.on_part_begin = [&](const MultipartPart& p) { out.push_back(Parsed{p, "", false}); };
  cb.on_part_data = [&](const char* d, size_t n) {
    EXPECT_GT(n, 0u);
    out.back().data.append(d, n);
  };
  cb.on_part_end = [&]() { out.back().ended = true; };
  MultipartParser parser(boundary, cb, limits);
  if (chunk == 0) chunk = body.size() + 1;
  for (size_t i = 0; i < body.size(); i += chunk) {
    parser.Feed(body.data() + i, std::min(chunk, body.size() - i));
  }
  parser.Finish();
  EXPECT_TRUE(parser.done());
  return out;
}

MultipartError::Kind ErrorKind(const std::string& boundary, const std::string& body,
                               MultipartLimits limits = {}) {
  try {
    Parse(boundary, body, 0, limits);
  } catch (const MultipartError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no MultipartError for: " << body;
  return MultipartError::Kind::kMalformed;
}

const char* kB = "XyZ-boundary-42";

std::string TwoParts() {
  return std::string("--XyZ-boundary-42\r\n") +
         "Content-Disposition: form-data; name=\"title\"\r\n\r\n" + "My Song\r\n" +
         "--XyZ-boundary-42\r\n" +
         "Content-Disposition: form-data; name=\"file\"; filename=\"song.mp3\"\r\n" +
         "Content-Type: audio/mpeg\r\n\r\n" + std::string("ID3\0\x01\r\n--XyZ\r\nbody", 18) +
         "\r\n--XyZ-boundary-42--\r\n";
}

TEST(MultipartTest, ParsesPartsWithHeadersAndBinaryData) {
  auto parts = Parse(kB, TwoParts());
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].part.name, "title");
  EXPECT_FALSE(parts[0].part.has_filename);
  EXPECT_EQ(parts[0].data, "My Song");
  EXPECT_TRUE(parts[0].ended);
  EXPECT_EQ(parts[1].part.name, "file");
  EXPECT_TRUE(parts[1].part.has_filename);
  EXPECT_EQ(parts[1].part.filename, "song.mp3");
  EXPECT_EQ(parts[1].part.content_type, "audio/mpeg");
  EXPECT_EQ(parts[1].data, std::string("ID3\0\x01\r\n--XyZ\r\nbody", 18));
  EXPECT_TRUE(parts[1].ended);
}

TEST(MultipartTest, EveryChunkSizeGivesTheSameParts) {
  const std::string body = TwoParts();
  auto whole = Parse(kB, body);
  for (size_t chunk = 1; chunk <= body.size(); ++chunk) {
    auto parts = Parse(kB, body, chunk);
    ASSERT_EQ(parts.size(), whole.size()) << "chunk " << chunk;
    for (size_t i = 0; i < parts.size(); ++i) {
      EXPECT_EQ(parts[i].part.name, whole[i].part.name) << "chunk " << chunk;
      EXPECT_EQ(parts[i].data, whole[i].data) << "chunk " << chunk;
    }
  }
}

TEST(MultipartTest, DelimiterLookalikesStayInTheData) {
  // Bare LF before the boundary, a CR at the very end, a boundary prefix, "--" after CRLF, and a
  // boundary that is not preceded by CRLF: all content.
  const std::string data =
      "a\n--XyZ-boundary-42 x\r\n--XyZ-boundary-4\r\n--\r\n\r\r\nXyZ-boundary-42\r";
  const std::string body =
      "--XyZ-boundary-42\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" + data +
      "\r\n--XyZ-boundary-42--";
  for (size_t chunk : {0, 1, 2, 3, 7}) {
    auto parts = Parse(kB, body, chunk);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].data, data) << "chunk " << chunk;
  }
}

TEST(MultipartTest, EmptyPartsPreambleEpilogueAndPadding) {
  const std::string body =
      "This is the preamble.\r\nIt is ignored.\r\n"
      "--b \t\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n"
      "\r\n--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv"
      "\r\n--b--\r\nepilogue, ignored\r\n--b\r\nnot a part";
  for (size_t chunk : {0, 1, 5}) {
    auto parts = Parse("b", body, chunk);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].part.name, "empty");
    EXPECT_EQ(parts[0].data, "");
    EXPECT_TRUE(parts[0].ended);
    EXPECT_EQ(parts[1].data, "v");
  }
}

TEST(MultipartTest, MissingFinalBoundaryIsAnError) {
  const std::string truncated =
      "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nsome data";
  EXPECT_EQ(ErrorKind("b", truncated), MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", truncated + "\r\n--b\r\n"), MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", truncated + "\r\n--b"), MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", ""), MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "no boundary here at all"), MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "--b\r\nContent-Disposition: form-data; name=\"x\""),
            MultipartError::Kind::kMalformed);
}

TEST(MultipartTest, MalformedBodiesAreRefused) {
  // Junk after a delimiter.
  EXPECT_EQ(ErrorKind("b", "--bX\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "--b-x"), MultipartError::Kind::kMalformed);
  // No Content-Disposition, not form-data, no name, a header without a colon.
  EXPECT_EQ(ErrorKind("b", "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "--b\r\n\r\nv\r\n--b--"), MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "--b\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "--b\r\nContent-Disposition form-data; name=x\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
  // An unterminated quoted string, a bare LF inside the header block, a repeated header.
  EXPECT_EQ(ErrorKind("b", "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b", "--b\r\nContent-Disposition: form-data; name=x\nX: y\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
  EXPECT_EQ(ErrorKind("b",
                      "--b\r\nContent-Disposition: form-data; name=x\r\n"
                      "content-disposition: form-data; name=y\r\n\r\nv\r\n--b--"),
            MultipartError::Kind::kMalformed);
}

TEST(MultipartTest, FilenamesWithQuotesBackslashesAndUnicode) {
  const std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"say \\\"hi\\\" "
      "\\\\ C:\\x.mp3\"\r\n\r\n1\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"file2\"; filename=\"Sigur R\xC3\xB3s "
      "\xE2\x80\x93 "
      "Hopp\xC3\xADpolla \xF0\x9F\x8E\xB5.flac\"\r\n\r\n2\r\n"
      "--b\r\ncontent-disposition: FORM-DATA;NAME=f3 ; filename=\"fallback.mp3\"; "
      "filename*=UTF-8''%E2%82%AC%20rates.mp3\r\n\r\n3\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"f4\"; filename=\"\"\r\n"
      "X-Folded: one\r\n two\r\n\r\n4\r\n--b--";
  auto parts = Parse("b", body);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0].part.filename, "say \"hi\" \\ C:\\x.mp3");
  EXPECT_EQ(parts[1].part.name, "file2");
  EXPECT_EQ(parts[1].part.filename,
            "Sigur R\xC3\xB3s \xE2\x80\x93 Hopp\xC3\xADpolla \xF0\x9F\x8E\xB5.flac");
  EXPECT_EQ(parts[2].part.name, "f3");
  EXPECT_EQ(parts[2].part.filename, "\xE2\x82\xAC rates.mp3");
  EXPECT_TRUE(parts[3].part.has_filename);
  EXPECT_EQ(parts[3].part.filename, "");
  EXPECT_EQ(parts[3].part.headers.at("x-folded"), "one two");
  EXPECT_EQ(parts[3].data, "4");
}

TEST(MultipartTest, OversizePartsHeadersAndPartCounts) {
  MultipartLimits limits;
  limits.max_part_bytes = 10;
  const std::string head = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n";
  EXPECT_EQ(Parse("b", head + "0123456789\r\n--b--", 0, limits)[0].data, "0123456789");
  EXPECT_EQ(ErrorKind("b", head + "0123456789A\r\n--b--", limits), MultipartError::Kind::kTooLarge);
  // Detected while streaming, before the end of the part.
  EXPECT_EQ(ErrorKind("b", head + std::string(1000, 'x'), limits), MultipartError::Kind::kTooLarge);

  MultipartLimits small_headers;
  small_headers.max_header_bytes = 64;
  EXPECT_EQ(ErrorKind("b",
                      "--b\r\nContent-Disposition: form-data; name=\"x\"\r\nX-Long: " +
                          std::string(100, 'y') + "\r\n\r\nv\r\n--b--",
                      small_headers),
            MultipartError::Kind::kMalformed);
  // Headers that never end are refused once past the limit, not buffered forever.
  EXPECT_EQ(ErrorKind("b", "--b\r\nX: " + std::string(100000, 'y'), small_headers),
            MultipartError::Kind::kMalformed);

  MultipartLimits two_parts;
  two_parts.max_parts = 2;
  std::string three;
  for (int i = 0; i < 3; ++i)
    three += "--b\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n";
  EXPECT_EQ(ErrorKind("b", three + "--b--", two_parts), MultipartError::Kind::kMalformed);
}

TEST(MultipartTest, CallbackExceptionsPassThrough) {
  MultipartParser::Callbacks cb;
  cb.on_part_begin = [](const MultipartPart& p) {
    if (p.name == "bad") throw std::runtime_error("refused " + p.name);
  };
  MultipartParser parser("b", cb);
  const std::string body = "--b\r\nContent-Disposition: form-data; name=bad\r\n\r\nv\r\n--b--";
  EXPECT_THROW(parser.Feed(body.data(), body.size()), std::runtime_error);
}

TEST(MultipartTest, LargeBodiesStreamWithBoundedBuffering) {
  // 3 MB in 64 KiB chunks: the data arrives in pieces, never all at once.
  const std::string payload(3 * 1024 * 1024, 'z');
  const std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + payload + "\r\n--b--\r\n";
  size_t calls = 0, largest = 0, total = 0;
  MultipartParser::Callbacks cb;
  cb.on_part_data = [&](const char*, size_t n) {
    ++calls;
    largest = std::max(largest, n);
    total += n;
  };
  MultipartParser parser("b", cb);
  for (size_t i = 0; i < body.size(); i += 65536) {
    parser.Feed(body.data() + i, std::min<size_t>(65536, body.size() - i));
  }
  parser.Finish();
  EXPECT_EQ(total, payload.size());
  EXPECT_GT(calls, 40u);
  EXPECT_LE(largest, 65536u + 8);
}

TEST(MultipartBoundaryTest, FromContentType) {
  std::string b;
  EXPECT_TRUE(MultipartBoundary("multipart/form-data; boundary=----WebKitFormBoundaryAbC", &b));
  EXPECT_EQ(b, "----WebKitFormBoundaryAbC");
  EXPECT_TRUE(MultipartBoundary("Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a b:c=d?\"", &b));
  EXPECT_EQ(b, "a b:c=d?");
  EXPECT_TRUE(MultipartBoundary("multipart/form-data; boundary=" + std::string(70, 'x'), &b));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'x'), &b));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data", &b));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=", &b));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=\"\"", &b));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=\"ends in space \"", &b));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=\"unterminated", &b));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data; boundary=a\x01z", &b));
  EXPECT_FALSE(MultipartBoundary("multipart/mixed; boundary=abc", &b));
  EXPECT_FALSE(MultipartBoundary("application/json", &b));
  EXPECT_TRUE(IsMultipartFormData("multipart/form-data; boundary=x"));
  EXPECT_TRUE(IsMultipartFormData(" MULTIPART/FORM-DATA "));
  EXPECT_FALSE(IsMultipartFormData("application/json; x=multipart/form-data"));
}

}  // namespace
}  // namespace sattva::fcgi
