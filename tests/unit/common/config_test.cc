#include "common/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace sattva::common {
namespace {

TEST(ConfigTest, DefaultsCoverEveryKey) {
  Config c = Config::FromOverrides({});
  for (const auto& k : ConfigKeys()) {
    EXPECT_EQ(c.Source(k.name), "default") << k.name;
  }
  EXPECT_EQ(c.GetInt("redis_port"), 6380);
  EXPECT_EQ(c.GetString("log_level"), "info");
}

TEST(ConfigTest, EnvironmentOverridesFileOverridesDefault) {
  std::string path = ::testing::TempDir() + "/sattva_config_test.conf";
  {
    std::ofstream f(path);
    f << "# comment\nredis_port = 7000\nlog_level=debug\n\n";
  }
  std::string env1 = "SATTVA_REDIS_PORT=7001";
  std::string env2 = "HOME=/root";
  char* envp[] = {env1.data(), env2.data(), nullptr};
  Config c = Config::Load(path, {}, envp);
  EXPECT_EQ(c.GetInt("redis_port"), 7001);
  EXPECT_EQ(c.Source("redis_port"), "env SATTVA_REDIS_PORT");
  EXPECT_EQ(c.GetString("log_level"), "debug");
  EXPECT_EQ(c.Source("log_level"), "file " + path + ":3");
  Config c2 = Config::Load(path, {"redis_port=7002"}, envp);
  EXPECT_EQ(c2.GetInt("redis_port"), 7002);
  std::remove(path.c_str());
}

TEST(ConfigTest, UnknownKeysAreRefused) {
  EXPECT_THROW(Config::FromOverrides({"no_such_key=1"}), ConfigError);
  std::string env = "SATTVA_NO_SUCH_KEY=1";
  char* envp[] = {env.data(), nullptr};
  try {
    Config::Load("", {}, envp);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("SATTVA_NO_SUCH_KEY"), std::string::npos);
  }
}

TEST(ConfigTest, BadValuesAreRefusedWithTheKeyNamed) {
  for (const char* bad : {"redis_port=abc", "redis_port=0", "redis_port=70000", "redis_port=",
                          "fcgi_threads=1.5", "log_level=loud", "redis_port=12x"}) {
    try {
      Config::FromOverrides({bad});
      FAIL() << bad << " was accepted";
    } catch (const ConfigError& e) {
      std::string key = std::string(bad).substr(0, std::string(bad).find('='));
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

TEST(ConfigTest, MalformedFileLineIsRefused) {
  std::string path = ::testing::TempDir() + "/sattva_config_bad.conf";
  {
    std::ofstream f(path);
    f << "redis_port 7000\n";
  }
  try {
    Config::Load(path, {}, nullptr);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(":1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Config::Load("/nonexistent/sattva.conf", {}, nullptr), ConfigError);
  std::remove(path.c_str());
}

TEST(ConfigTest, DumpMasksSecrets) {
  Config c = Config::FromOverrides({"redis_password=hunter2"});
  std::string d = c.Dump();
  EXPECT_EQ(d.find("hunter2"), std::string::npos);
  EXPECT_NE(d.find("redis_password = ********"), std::string::npos);
}

}  // namespace
}  // namespace sattva::common
