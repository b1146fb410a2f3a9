#include "wsd/app.h"

#include <gtest/gtest.h>

#include "common/config.h"

namespace sattva::wsd {
namespace {

TEST(ServerOptionsTest, FromConfig) {
  common::Config c =
      common::Config::FromOverrides({"wsd_host=0.0.0.0", "wsd_port=0", "wsd_max_clients=5",
                                     "wsd_client_queue=64", "wsd_ping_interval_s=7"});
  ServerOptions o = ServerOptionsFromConfig(c);
  EXPECT_EQ(o.host, "0.0.0.0");
  EXPECT_EQ(o.port, 0);  // ephemeral
  EXPECT_EQ(o.max_clients, 5u);
  EXPECT_EQ(o.client_queue, 64u);
  EXPECT_EQ(o.ping_interval_s, 7);
}

TEST(ServerOptionsTest, Defaults) {
  ServerOptions o = ServerOptionsFromConfig(common::Config::FromOverrides({}));
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8081);
}

TEST(ServerOptionsTest, BadValuesAreConfigErrors) {
  EXPECT_THROW(common::Config::FromOverrides({"wsd_port=-1"}), common::ConfigError);
  EXPECT_THROW(common::Config::FromOverrides({"wsd_port=65536"}), common::ConfigError);
  EXPECT_THROW(common::Config::FromOverrides({"wsd_client_queue=0"}), common::ConfigError);
}

}  // namespace
}  // namespace sattva::wsd
