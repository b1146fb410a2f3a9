// The media probe (common/media_probe.h) on files the test writes itself.
#include <gtest/gtest.h>

extern "C" {
#include <libavutil/log.h>
}

#include "common/media_probe.h"
#include "tests/unit/common/test_files.h"

namespace sattva::common {
namespace {

using testfiles::TempDir;
using testfiles::WavBytes;

class MediaProbeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { av_log_set_level(AV_LOG_QUIET); }
  TempDir dir_;
};

TEST_F(MediaProbeTest, ReadsAStereoWav) {
  const std::string path = dir_.Write("tone.wav", WavBytes(48000, 2, 72000));  // 1.5 s
  MediaInfo info;
  std::string error;
  ASSERT_TRUE(ProbeMedia(path, &info, &error)) << error;
  EXPECT_EQ(info.duration_ms, 1500);
  EXPECT_EQ(info.sample_rate, 48000);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.codec, "pcm_s16le");
  EXPECT_EQ(info.bitrate, 48000 * 2 * 16);
  EXPECT_EQ(info.title, "");
  EXPECT_EQ(info.artist, "");
}

TEST_F(MediaProbeTest, ReadsAMonoWav) {
  const std::string path = dir_.Write("a:b.wav", WavBytes(22050, 1, 5512));  // 250 ms
  MediaInfo info;
  std::string error;
  ASSERT_TRUE(ProbeMedia(path, &info, &error)) << error;
  EXPECT_EQ(info.duration_ms, 250);
  EXPECT_EQ(info.sample_rate, 22050);
  EXPECT_EQ(info.channels, 1);
}

TEST_F(MediaProbeTest, RefusesTextRenamedToMp3) {
  const std::string path =
      dir_.Write("song.mp3", "This is a text file, not audio. It only has an .mp3 name.\n");
  MediaInfo info;
  info.sample_rate = 123;
  std::string error;
  EXPECT_FALSE(ProbeMedia(path, &info, &error));
  EXPECT_NE(error.find("song.mp3"), std::string::npos) << error;
  EXPECT_EQ(info.sample_rate, 123);  // untouched on failure
}

TEST_F(MediaProbeTest, RefusesAnEmptyFile) {
  const std::string path = dir_.Write("empty.ogg", "");
  MediaInfo info;
  std::string error;
  EXPECT_FALSE(ProbeMedia(path, &info, &error));
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
}

TEST_F(MediaProbeTest, RefusesAWavWithNoAudioData) {
  const std::string path = dir_.Write("header_only.wav", WavBytes(44100, 2, 0));
  MediaInfo info;
  std::string error;
  EXPECT_FALSE(ProbeMedia(path, &info, &error));
  EXPECT_FALSE(error.empty());
}

TEST_F(MediaProbeTest, RefusesMissingFilesDirectoriesAndOtherSchemes) {
  MediaInfo info;
  std::string error;
  EXPECT_FALSE(ProbeMedia((dir_.path() / "missing.mp3").string(), &info, &error));
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
  EXPECT_FALSE(ProbeMedia(dir_.path().string(), &info, &error));
  EXPECT_NE(error.find("not a regular file"), std::string::npos) << error;
  EXPECT_FALSE(ProbeMedia("ftp://example.com/a.mp3", &info, &error));
  EXPECT_NE(error.find("http"), std::string::npos) << error;
  EXPECT_FALSE(ProbeMedia("", &info, &error));
}

TEST_F(MediaProbeTest, RecognisesHttpUrls) {
  EXPECT_TRUE(IsHttpUrl("http://example.com/a.mp3"));
  EXPECT_TRUE(IsHttpUrl("HTTPS://example.com/live"));
  EXPECT_FALSE(IsHttpUrl("http://"));
  EXPECT_FALSE(IsHttpUrl("/srv/media/http://x.mp3"));
  EXPECT_FALSE(IsHttpUrl("file:///etc/passwd"));
}

TEST_F(MediaProbeTest, JsonHasNullDurationWhenUnknown) {
  MediaInfo info;
  info.codec = "opus";
  info.sample_rate = 48000;
  info.channels = 2;
  Json::Value v = MediaInfoToJson(info);
  EXPECT_TRUE(v["duration_ms"].isNull());
  EXPECT_EQ(v["codec"].asString(), "opus");
  EXPECT_EQ(v["channels"].asInt(), 2);
  info.duration_ms = 1234;
  EXPECT_EQ(MediaInfoToJson(info)["duration_ms"].asInt64(), 1234);
}

}  // namespace
}  // namespace sattva::common
