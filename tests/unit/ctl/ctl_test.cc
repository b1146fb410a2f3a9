// sattva-ctl's command line, media listing and probe output (the parts that need no database).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

extern "C" {
#include <libavutil/log.h>
}

#include "common/json.h"
#include "tests/unit/common/test_files.h"
#include "tools/commands.h"
#include "tools/ctl.h"

namespace sattva::ctl {
namespace {

using testfiles::TempDir;
using testfiles::WavBytes;

bool Parse(const std::vector<std::string>& args, CommandLine* out, std::string* error) {
  return ParseCommandLine(args, out, error);
}

TEST(CtlCommandLineTest, ParsesEachCommand) {
  CommandLine c;
  std::string error;
  ASSERT_TRUE(Parse({"migrate"}, &c, &error)) << error;
  EXPECT_EQ(c.command, "migrate");
  EXPECT_EQ(c.sql_dir, "sql");
  ASSERT_TRUE(Parse({"migrate", "--sql-dir", "/srv/sql"}, &c, &error)) << error;
  EXPECT_EQ(c.sql_dir, "/srv/sql");
  ASSERT_TRUE(Parse({"migrate", "--sql-dir=db/sql"}, &c, &error)) << error;
  EXPECT_EQ(c.sql_dir, "db/sql");
  ASSERT_TRUE(Parse({"create-admin"}, &c, &error)) << error;
  EXPECT_EQ(c.email, "");
  ASSERT_TRUE(Parse({"create-admin", "--email", "a@b.c"}, &c, &error)) << error;
  EXPECT_EQ(c.email, "a@b.c");
  ASSERT_TRUE(Parse({"demo", "--media-dir", "var/media"}, &c, &error)) << error;
  EXPECT_EQ(c.media_dir, "var/media");
  ASSERT_TRUE(Parse({"probe", "song.mp3"}, &c, &error)) << error;
  EXPECT_EQ(c.file, "song.mp3");
}

TEST(CtlCommandLineTest, RejectsBadCommandLines) {
  CommandLine c;
  std::string error;
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"frobnicate"},
      {"migrate", "--sql-dir"},
      {"migrate", "--sql-dir="},
      {"migrate", "--email", "a@b.c"},  // a flag of another command
      {"migrate", "extra"},
      {"create-admin", "--emial", "a@b.c"},
      {"demo", "dir"},
      {"probe"},
      {"probe", "a.mp3", "b.mp3"},
  };
  for (const auto& args : bad) {
    error.clear();
    EXPECT_FALSE(Parse(args, &c, &error)) << ::testing::PrintToString(args);
    EXPECT_FALSE(error.empty()) << ::testing::PrintToString(args);
  }
  EXPECT_NE(Usage().find("create-admin"), std::string::npos);
}

TEST(CtlMediaTest, RecognisesAudioFileNames) {
  for (const char* good : {"a.mp3", "B.MP3", "x.ogg", "x.opus", "x.flac", "x.wav", "x.m4a"}) {
    EXPECT_TRUE(IsAudioFileName(good)) << good;
  }
  for (const char* bad : {"README", "notes.txt", "cover.jpg", ".hidden.mp3", "mp3", "a.mp3.part"}) {
    EXPECT_FALSE(IsAudioFileName(bad)) << bad;
  }
}

TEST(CtlMediaTest, ListsAudioFilesSortedAndNotRecursively) {
  TempDir dir;
  dir.Write("b.wav", "x");
  dir.Write("a.mp3", "x");
  dir.Write("c.txt", "x");
  dir.Write(".d.ogg", "x");
  std::filesystem::create_directory(dir.path() / "sub");
  dir.Write("sub/e.mp3", "x");
  std::filesystem::create_directory(dir.path() / "f.mp3");  // a directory with an audio name

  auto files = ListAudioFiles(dir.path().string());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].filename(), "a.mp3");
  EXPECT_EQ(files[1].filename(), "b.wav");
  EXPECT_THROW(ListAudioFiles((dir.path() / "missing").string()), std::runtime_error);
}

TEST(CtlMediaTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(0), "0:00");
  EXPECT_EQ(FormatDuration(187000), "3:07");
  EXPECT_EQ(FormatDuration(3723999), "1:02:03");
  EXPECT_EQ(FormatDuration(-1), "?");
}

TEST(CtlProbeTest, PrintsJsonForAWavAndAnErrorForText) {
  av_log_set_level(AV_LOG_QUIET);
  TempDir dir;
  const std::string wav = dir.Write("tone.wav", WavBytes(44100, 2, 44100));
  std::ostringstream out, err;
  ASSERT_EQ(Probe(wav, out, err), 0) << err.str();
  Json::Value v;
  std::string error;
  ASSERT_TRUE(common::ParseJson(out.str(), &v, &error)) << out.str();
  EXPECT_EQ(v["source"].asString(), wav);
  EXPECT_EQ(v["duration_ms"].asInt64(), 1000);
  EXPECT_EQ(v["sample_rate"].asInt(), 44100);
  EXPECT_EQ(v["channels"].asInt(), 2);

  const std::string text = dir.Write("text.mp3", "hello, I am not audio\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(Probe(text, out2, err2), 1);
  EXPECT_EQ(out2.str(), "");
  EXPECT_NE(err2.str().find("text.mp3"), std::string::npos) << err2.str();
}

}  // namespace
}  // namespace sattva::ctl
