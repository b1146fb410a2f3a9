// Request bodies nginx wrote to a file (the upload location passes REQUEST_BODY_FILE): multipart
// bodies stay on disk for the handler; anything else is read, within fcgi_max_body_bytes.
#include <gtest/gtest.h>

#include "fcgi/server.h"
#include "tests/unit/common/test_files.h"

namespace sattva::fcgi {
namespace {

Request WithType(const std::string& content_type) {
  Request r;
  r.method = "POST";
  if (!content_type.empty()) r.headers["content-type"] = content_type;
  return r;
}

TEST(TakeBodyFileTest, NoParamMeansTheBodyComesOverFastCgi) {
  Request r = WithType("application/json");
  EXPECT_FALSE(TakeBodyFile({{"CONTENT_LENGTH", "5"}}, 100, &r));
  EXPECT_FALSE(TakeBodyFile({{"REQUEST_BODY_FILE", ""}}, 100, &r));
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.body_file.empty());
}

TEST(TakeBodyFileTest, MultipartStaysOnDiskWhateverItsSize) {
  testfiles::TempDir dir;
  const std::string path = dir.Write("body", std::string(5000, 'x'));
  Request r = WithType("multipart/form-data; boundary=abc");
  EXPECT_TRUE(TakeBodyFile({{"REQUEST_BODY_FILE", path}, {"CONTENT_LENGTH", "5000"}}, 100, &r));
  EXPECT_EQ(r.body_file, path);
  EXPECT_TRUE(r.body.empty());
}

TEST(TakeBodyFileTest, OtherBodiesAreReadWithinTheLimit) {
  testfiles::TempDir dir;
  const std::string path = dir.Write("body", "{\"title\":\"x\"}");
  Request r = WithType("application/json");
  EXPECT_TRUE(TakeBodyFile({{"REQUEST_BODY_FILE", path}}, 100, &r));
  EXPECT_EQ(r.body, "{\"title\":\"x\"}");
  EXPECT_TRUE(r.body_file.empty());

  Request big = WithType("application/json");
  try {
    TakeBodyFile({{"REQUEST_BODY_FILE", path}}, 5, &big);
    FAIL() << "no 413";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 413);
    EXPECT_EQ(e.code(), "payload_too_large");
  }
  Request no_type = WithType("");
  EXPECT_TRUE(TakeBodyFile({{"REQUEST_BODY_FILE", path}}, 100, &no_type));
  EXPECT_EQ(no_type.body.size(), 13u);
}

TEST(TakeBodyFileTest, AMissingFileIsAServerError) {
  Request r = WithType("application/json");
  try {
    TakeBodyFile({{"REQUEST_BODY_FILE", "/nonexistent/sattva-body"}}, 100, &r);
    FAIL() << "no error";
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 500);
  }
}

}  // namespace
}  // namespace sattva::fcgi
