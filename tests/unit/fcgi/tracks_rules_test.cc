// The pure rules of the track catalog: path containment (as strings, and on a real directory
// with symlinks), titles and their fallbacks, text validation, URLs, upload extensions.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "fcgi/track_rules.h"
#include "fcgi/tracks.h"
#include "tests/unit/common/test_files.h"

namespace sattva::fcgi {
namespace {

TEST(PathIsInsideTest, WholeComponentsOnly) {
  EXPECT_TRUE(PathIsInside("/srv/media", "/srv/media"));
  EXPECT_TRUE(PathIsInside("/srv/media", "/srv/media/a.mp3"));
  EXPECT_TRUE(PathIsInside("/srv/media", "/srv/media/deep/er/a.mp3"));
  EXPECT_FALSE(PathIsInside("/srv/media", "/srv/media2/a.mp3"));
  EXPECT_FALSE(PathIsInside("/srv/media", "/srv/medi"));
  EXPECT_FALSE(PathIsInside("/srv/media", "/srv"));
  EXPECT_FALSE(PathIsInside("/srv/media", "/etc/passwd"));
  EXPECT_TRUE(PathIsInside("/", "/etc/passwd"));
  EXPECT_FALSE(PathIsInside("/srv/media", "srv/media/a"));
  EXPECT_FALSE(PathIsInside("", "/srv/media"));
  EXPECT_FALSE(PathIsInside("/srv/media", ""));
}

TEST(DisplaySourceTest, RelativeInsideTheMediaDirOnly) {
  EXPECT_EQ(DisplaySource("upload", "/srv/media/uploads/ab.mp3", "/srv/media"), "uploads/ab.mp3");
  EXPECT_EQ(DisplaySource("file", "/srv/media/a.mp3", "/srv/media"), "a.mp3");
  EXPECT_EQ(DisplaySource("file", "/elsewhere/a.mp3", "/srv/media"), "/elsewhere/a.mp3");
  EXPECT_EQ(DisplaySource("file", "/srv/media2/a.mp3", "/srv/media"), "/srv/media2/a.mp3");
  EXPECT_EQ(DisplaySource("url", "http://x/srv/media/a", "/srv/media"), "http://x/srv/media/a");
  EXPECT_EQ(DisplaySource("file", "/a.mp3", "/"), "a.mp3");
}

class ResolveMediaPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<char, decltype(&std::free)> real(realpath(tmp_.path().c_str(), nullptr),
                                                     &std::free);
    ASSERT_TRUE(real);
    base_ = real.get();
    root_ = base_ + "/media";
    outside_ = base_ + "/outside";
    namespace fs = std::filesystem;
    fs::create_directories(root_ + "/sub");
    fs::create_directories(outside_);
    tmp_.Write("media/a.wav", "x");
    tmp_.Write("media/sub/b.wav", "x");
    tmp_.Write("outside/secret.wav", "x");
    fs::create_directory_symlink(outside_, root_ + "/link_out");
    fs::create_directory_symlink("sub", root_ + "/link_in");
    fs::create_symlink(outside_ + "/secret.wav", root_ + "/file_link_out");
    fs::create_symlink("sub/b.wav", root_ + "/file_link_in");
    fs::create_symlink(outside_ + "/missing.wav", root_ + "/dangling_out");
    fs::create_symlink("sub/missing.wav", root_ + "/dangling_in");
    fs::create_symlink("loop2", root_ + "/loop1");
    fs::create_symlink("loop1", root_ + "/loop2");
    // A link outside that points back in: following it from inside is fine.
    fs::create_symlink(root_ + "/a.wav", outside_ + "/back_in.wav");
  }

  MediaPathStatus Resolve(const std::string& requested, std::string* resolved = nullptr) {
    std::string r;
    MediaPathStatus s = ResolveMediaPath(root_, requested, &r);
    if (resolved != nullptr) *resolved = r;
    return s;
  }

  testfiles::TempDir tmp_;
  std::string base_, root_, outside_;
};

TEST_F(ResolveMediaPathTest, FilesInsideResolveToTheirRealPath) {
  std::string r;
  EXPECT_EQ(Resolve("a.wav", &r), MediaPathStatus::kOk);
  EXPECT_EQ(r, root_ + "/a.wav");
  EXPECT_EQ(Resolve("./sub/../a.wav", &r), MediaPathStatus::kOk);
  EXPECT_EQ(r, root_ + "/a.wav");
  EXPECT_EQ(Resolve(root_ + "/sub/b.wav", &r), MediaPathStatus::kOk);
  EXPECT_EQ(r, root_ + "/sub/b.wav");
  EXPECT_EQ(Resolve("link_in/b.wav", &r), MediaPathStatus::kOk);
  EXPECT_EQ(r, root_ + "/sub/b.wav");
  EXPECT_EQ(Resolve("file_link_in", &r), MediaPathStatus::kOk);
  EXPECT_EQ(r, root_ + "/sub/b.wav");
  EXPECT_EQ(Resolve("link_out/back_in.wav", &r), MediaPathStatus::kOk);
  EXPECT_EQ(r, root_ + "/a.wav");
}

TEST_F(ResolveMediaPathTest, EscapesAreRefusedWhetherOrNotTheTargetExists) {
  EXPECT_EQ(Resolve("../outside/secret.wav"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("../outside/nothing.wav"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("../../../../../../etc/passwd"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("/etc/passwd"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("/etc/no-such-file"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("/no-such-dir/no-such-file"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("sub/../../outside/secret.wav"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("link_out/secret.wav"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("link_out/missing.wav"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("link_out/deeper/missing.wav"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("file_link_out"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve("dangling_out"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve(base_ + "/media2/x.wav"), MediaPathStatus::kOutside);
  EXPECT_EQ(Resolve(".."), MediaPathStatus::kOutside);
}

TEST_F(ResolveMediaPathTest, MissingInsideAndNotRegular) {
  EXPECT_EQ(Resolve("nothing.wav"), MediaPathStatus::kNotFound);
  EXPECT_EQ(Resolve("sub/nothing/deeper.wav"), MediaPathStatus::kNotFound);
  EXPECT_EQ(Resolve("a.wav/below"), MediaPathStatus::kNotFound);
  EXPECT_EQ(Resolve("dangling_in"), MediaPathStatus::kNotFound);
  EXPECT_EQ(Resolve("loop1"), MediaPathStatus::kNotFound);
  EXPECT_EQ(Resolve(""), MediaPathStatus::kNotFound);
  EXPECT_EQ(Resolve(std::string("a.wav\0x", 7)), MediaPathStatus::kNotFound);
  EXPECT_EQ(Resolve("sub"), MediaPathStatus::kNotRegular);
  EXPECT_EQ(Resolve("."), MediaPathStatus::kNotRegular);
  EXPECT_EQ(Resolve("link_in"), MediaPathStatus::kNotRegular);
}

TEST(TrackTitleTest, ExplicitThenTagThenFileName) {
  EXPECT_EQ(ChooseTrackTitle(std::string("Given"), "Tag", "/m/file.mp3"), "Given");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "Tag", "/m/file.mp3"), "Tag");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "", "/m/My Song.final.mp3"), "My Song.final");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "  \t ", "C:\\Music\\Song.flac"), "Song");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "\xFF\xFE bad utf-8", "x.mp3"), "x");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "line\nbreak", "x.mp3"), "line break");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "", ".mp3"), ".mp3");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "", ""), "Untitled");
  EXPECT_EQ(ChooseTrackTitle(std::nullopt, "", "/m/\x01\x02.mp3"), "Untitled");
  // Cut at 500 characters, not bytes: 600 two-byte characters become 500.
  std::string long_name;
  for (int i = 0; i < 600; ++i) long_name += "\xC3\xA9";
  const std::string t = ChooseTrackTitle(std::nullopt, "", long_name + ".mp3");
  EXPECT_EQ(t.size(), 1000u);
  EXPECT_TRUE(CheckTrackText(t, "title", 1, kMaxTitleChars).empty());
}

TEST(TrackTitleTest, FileStem) {
  EXPECT_EQ(FileStem("a.mp3"), "a");
  EXPECT_EQ(FileStem("/x/y/a.b.mp3"), "a.b");
  EXPECT_EQ(FileStem("C:\\x\\a.mp3"), "a");
  EXPECT_EQ(FileStem("noext"), "noext");
  EXPECT_EQ(FileStem(".hidden"), ".hidden");
  EXPECT_EQ(FileStem("dir/"), "");
}

TEST(TrackTextTest, Validation) {
  EXPECT_EQ(CheckTrackText("Hello", "title", 1, 500), "");
  EXPECT_EQ(
      CheckTrackText("\xE2\x80\x8F\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 \xF0\x9F\x8E\xB6 e\xCC\x81",
                     "title", 1, 500),
      "");  // RTL mark, Arabic, emoji, combining accent
  EXPECT_EQ(CheckTrackText("", "artist", 0, 500), "");
  EXPECT_NE(CheckTrackText("", "title", 1, 500), "");
  EXPECT_NE(CheckTrackText("   ", "title", 1, 500), "");
  EXPECT_NE(CheckTrackText("a\tb", "title", 1, 500), "");
  EXPECT_NE(CheckTrackText("a\nb", "title", 1, 500), "");
  EXPECT_NE(CheckTrackText(std::string("a\0b", 3), "title", 1, 500), "");
  EXPECT_NE(CheckTrackText("a\x7F", "title", 1, 500), "");
  EXPECT_NE(CheckTrackText("a\xC2\x85", "title", 1, 500), "");     // NEL, a C1 control
  EXPECT_NE(CheckTrackText("\xC3\x28", "title", 1, 500), "");      // invalid UTF-8
  EXPECT_NE(CheckTrackText("\xED\xA0\x80", "title", 1, 500), "");  // a surrogate
  std::string s500;
  for (int i = 0; i < 500; ++i) s500 += "\xF0\x9F\x8E\xB5";
  EXPECT_EQ(CheckTrackText(s500, "title", 1, 500), "");
  EXPECT_NE(CheckTrackText(s500 + "x", "title", 1, 500), "");
  EXPECT_NE(CheckTrackText("", "title", 1, 500).find("title"), std::string::npos);
}

TEST(TrackUrlTest, OnlyHttpWithAHost) {
  EXPECT_EQ(CheckTrackUrl("http://example.com/a.mp3"), "");
  EXPECT_EQ(CheckTrackUrl("HTTPS://user:pw@example.com:8443/a.mp3?x=1#f"), "");
  EXPECT_EQ(CheckTrackUrl("http://[::1]:8000/a.mp3"), "");
  EXPECT_NE(CheckTrackUrl(""), "");
  EXPECT_NE(CheckTrackUrl("ftp://example.com/a.mp3"), "");
  EXPECT_NE(CheckTrackUrl("file:///etc/passwd"), "");
  EXPECT_NE(CheckTrackUrl("javascript:alert(1)"), "");
  EXPECT_NE(CheckTrackUrl("/etc/passwd"), "");
  EXPECT_NE(CheckTrackUrl("http:///a.mp3"), "");
  EXPECT_NE(CheckTrackUrl("http://:80/a.mp3"), "");
  EXPECT_NE(CheckTrackUrl("http://user@/a.mp3"), "");
  EXPECT_NE(CheckTrackUrl("http://exa mple.com/"), "");
  EXPECT_NE(CheckTrackUrl("http://example.com/\xC3\xA9"), "");
  EXPECT_NE(CheckTrackUrl("http://example.com/a\r\nX: y"), "");
  EXPECT_NE(CheckTrackUrl("http://example.com/" + std::string(kMaxUrlBytes, 'a')), "");
}

TEST(TrackUrlTest, FileName) {
  EXPECT_EQ(UrlFileName("http://h/dir/My%20Song.mp3?x=1#y"), "My Song.mp3");
  EXPECT_EQ(UrlFileName("http://h/dir/"), "");
  EXPECT_EQ(UrlFileName("http://h"), "");
  EXPECT_EQ(UrlFileName("http://h/a%ZZ.mp3"), "a%ZZ.mp3");
  EXPECT_EQ(UrlFileName("http://h/a%FF.mp3"), "a%FF.mp3");
}

TEST(UploadExtensionTest, KnownAudioOrBin) {
  EXPECT_EQ(UploadExtension("song.MP3"), "mp3");
  EXPECT_EQ(UploadExtension("a.b.flac"), "flac");
  EXPECT_EQ(UploadExtension("x.opus"), "opus");
  EXPECT_EQ(UploadExtension("x.wav"), "wav");
  EXPECT_EQ(UploadExtension("evil.php"), "bin");
  EXPECT_EQ(UploadExtension("../../etc/passwd"), "bin");
  EXPECT_EQ(UploadExtension("dir.mp3/name"), "bin");
  EXPECT_EQ(UploadExtension("C:\\x.mp3\\y"), "bin");
  EXPECT_EQ(UploadExtension("x.mp3/"), "bin");
  EXPECT_EQ(UploadExtension(".mp3"), "bin");
  EXPECT_EQ(UploadExtension(""), "bin");
}

TEST(ProbeRefusalTest, SaysWhichKindOfRefusalAndHidesTheServerPath) {
  EXPECT_EQ(ProbeRefusal("cannot open '/srv/media/uploads/.upload-ab.mp3': Invalid data",
                         "/srv/media/uploads/.upload-ab.mp3", "notes.mp3"),
            "not an audio file: cannot open 'notes.mp3': Invalid data");
  EXPECT_EQ(ProbeRefusal("'/srv/x.mka': no decoder for codec foo", "/srv/x.mka", "x.mka"),
            "unsupported codec: 'x.mka': no decoder for codec foo");
  EXPECT_EQ(ProbeRefusal("'/a' has no audio stream and '/a' again", "/a", "b"),
            "not an audio file: 'b' has no audio stream and 'b' again");
}

}  // namespace
}  // namespace sattva::fcgi
