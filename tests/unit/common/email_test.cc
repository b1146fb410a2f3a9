// Email normalisation and validation (common/email.h).
#include <gtest/gtest.h>

#include "common/email.h"

namespace sattva::common {
namespace {

TEST(EmailTest, NormalizesByTrimmingAndLowerCasing) {
  EXPECT_EQ(NormalizeEmail("  Admin@Example.COM\n"), "admin@example.com");
  EXPECT_EQ(NormalizeEmail("a@b"), "a@b");
  EXPECT_EQ(NormalizeEmail("   "), "");
}

TEST(EmailTest, AcceptsValidAddresses) {
  for (const char* good :
       {"admin@example.com", "a@b", "admin@localhost", "first.last+tag@sub.example.co.uk",
        "o'neil@example.org", "x_y-z@a-b.example", "ADMIN@EXAMPLE.COM", "1@2.3"}) {
    EXPECT_TRUE(IsValidEmail(good)) << good;
  }
  EXPECT_TRUE(IsValidEmail(std::string(64, 'a') + "@example.com"));
}

TEST(EmailTest, RejectsMalformedAddresses) {
  for (const char* bad :
       {"", "admin", "@example.com", "admin@", "admin@@example.com", "a@b@c", "ad min@example.com",
        "admin@exa mple.com", "admin@-example.com", "admin@example-.com", "admin@example..com",
        "admin@.example.com", "admin@example.com.", "admin@exa_mple.com", "<admin>@example.com",
        "admin@example.com\n", "\xD0\xB0@example.com"}) {
    EXPECT_FALSE(IsValidEmail(bad)) << bad;
  }
  EXPECT_FALSE(IsValidEmail(std::string(65, 'a') + "@example.com"));  // local part > 64
  EXPECT_FALSE(IsValidEmail("a@" + std::string(64, 'b') + ".com"));   // label > 63
  const std::string label(63, 'b');
  EXPECT_TRUE(IsValidEmail("a@" + label + "." + label + "." + label));
  EXPECT_FALSE(IsValidEmail("a@" + label + "." + label + "." + label + "." + label));  // > 254
  EXPECT_FALSE(IsValidEmail(std::string("a\0b@example.com", 15)));
}

}  // namespace
}  // namespace sattva::common
