// Migration file names, loading, checksums and planning: the pure half of common/migrate.h.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/migrate.h"
#include "common/password.h"
#include "tests/unit/common/test_files.h"

namespace sattva::common {
namespace {

using testfiles::TempDir;

class MigrateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitCrypto(); }
};

TEST_F(MigrateTest, ParsesWellFormedNames) {
  int version = 0;
  std::string name;
  ASSERT_TRUE(ParseMigrationFileName("001_initial.sql", &version, &name));
  EXPECT_EQ(version, 1);
  EXPECT_EQ(name, "initial");
  ASSERT_TRUE(ParseMigrationFileName("042_add_index_2.sql", &version, &name));
  EXPECT_EQ(version, 42);
  EXPECT_EQ(name, "add_index_2");
  ASSERT_TRUE(ParseMigrationFileName("999_z.sql", &version, &name));
  EXPECT_EQ(version, 999);
}

TEST_F(MigrateTest, RejectsMalformedNames) {
  int version = 7;
  std::string name = "untouched";
  for (const char* bad :
       {"1_initial.sql", "01_initial.sql", "0001_initial.sql", "000_zero.sql", "001initial.sql",
        "001_.sql", "001_Initial.sql", "001_in-itial.sql", "001_initial.SQL", "001_initial.sql~",
        "abc_initial.sql", "001_initial", "001_ini tial.sql", ".sql", ""}) {
    EXPECT_FALSE(ParseMigrationFileName(bad, &version, &name)) << bad;
  }
  EXPECT_FALSE(ParseMigrationFileName("001_" + std::string(101, 'a') + ".sql", &version, &name));
  EXPECT_EQ(version, 7);
  EXPECT_EQ(name, "untouched");
}

TEST_F(MigrateTest, LoadsSqlFilesInVersionOrderWithChecksums) {
  TempDir dir;
  dir.Write("010_third.sql", "SELECT 3;\n");
  dir.Write("002_second.sql", "SELECT 2;\n");
  dir.Write("001_first.sql", "SELECT 1;\n");
  dir.Write("README.md", "not a migration");
  dir.Write(".001_hidden.sql", "ignored");
  std::filesystem::create_directory(dir.path() / "999_a_directory");

  auto files = LoadMigrationFiles(dir.path().string());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].version, 1);
  EXPECT_EQ(files[0].name, "first");
  EXPECT_EQ(files[0].file_name, "001_first.sql");
  EXPECT_EQ(files[0].sql, "SELECT 1;\n");
  // sha256sum of "SELECT 1;\n"
  EXPECT_EQ(files[0].checksum, "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd");
  EXPECT_EQ(files[1].version, 2);
  EXPECT_EQ(files[2].version, 10);
  EXPECT_NE(files[1].checksum, files[2].checksum);
}

TEST_F(MigrateTest, LoadRefusesMalformedNamesDuplicatesAndMissingDirs) {
  {
    TempDir dir;
    dir.Write("001_ok.sql", "SELECT 1;");
    dir.Write("2_bad.sql", "SELECT 2;");
    try {
      LoadMigrationFiles(dir.path().string());
      FAIL() << "expected MigrationError";
    } catch (const MigrationError& e) {
      EXPECT_NE(std::string(e.what()).find("2_bad.sql"), std::string::npos) << e.what();
    }
  }
  {
    TempDir dir;
    dir.Write("003_a.sql", "SELECT 1;");
    dir.Write("003_b.sql", "SELECT 2;");
    EXPECT_THROW(LoadMigrationFiles(dir.path().string()), MigrationError);
  }
  EXPECT_THROW(LoadMigrationFiles("/nonexistent/sattva/sql"), MigrationError);
}

MigrationFile File(int version, const std::string& name, const std::string& sql) {
  MigrationFile f;
  f.version = version;
  f.name = name;
  f.file_name = "00" + std::to_string(version) + "_" + name + ".sql";
  f.sql = sql;
  f.checksum = Sha256Hex(sql);
  return f;
}

AppliedMigration Applied(const MigrationFile& f) { return {f.version, f.name, f.checksum}; }

TEST_F(MigrateTest, PlansPendingFilesInOrder) {
  const std::vector<MigrationFile> files = {File(1, "a", "A"), File(2, "b", "B"),
                                            File(3, "c", "C")};
  auto all = PlanMigrations(files, {});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].version, 1);
  EXPECT_EQ(all[2].version, 3);

  auto rest = PlanMigrations(files, {Applied(files[0])});
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].version, 2);
  EXPECT_EQ(rest[1].version, 3);

  EXPECT_TRUE(
      PlanMigrations(files, {Applied(files[0]), Applied(files[1]), Applied(files[2])}).empty());
}

TEST_F(MigrateTest, RefusesAChangedAppliedFile) {
  const std::vector<MigrationFile> files = {File(1, "a", "A edited"), File(2, "b", "B")};
  try {
    PlanMigrations(files, {Applied(File(1, "a", "A"))});
    FAIL() << "expected MigrationError";
  } catch (const MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("has changed"), std::string::npos) << e.what();
  }
}

TEST_F(MigrateTest, RefusesRenamedUnknownAndOutOfOrderMigrations) {
  const MigrationFile a = File(1, "a", "A");
  const MigrationFile b = File(2, "b", "B");
  const MigrationFile c = File(3, "c", "C");
  // Renamed: same version and contents, new name.
  EXPECT_THROW(PlanMigrations({File(1, "renamed", "A")}, {Applied(a)}), MigrationError);
  // The database has a migration no file has.
  EXPECT_THROW(PlanMigrations({a}, {Applied(a), Applied(b)}), MigrationError);
  // A file older than the newest applied one.
  EXPECT_THROW(PlanMigrations({a, b, c}, {Applied(a), Applied(c)}), MigrationError);
}

TEST_F(MigrateTest, TheRepositorysMigrationsLoad) {
  // tests/unit/common/migrate_test.cc -> the repository root.
  const auto root =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().parent_path();
  auto files = LoadMigrationFiles((root / "sql").string());
  ASSERT_FALSE(files.empty());
  EXPECT_EQ(files[0].version, 1);
  EXPECT_EQ(files[0].name, "initial");
  for (size_t i = 0; i < files.size(); ++i) EXPECT_EQ(files[i].version, static_cast<int>(i) + 1);
  EXPECT_EQ(PlanMigrations(files, {}).size(), files.size());
}

}  // namespace
}  // namespace sattva::common
