// The admin panel in a real headless Chromium (Debian's /usr/bin/chromium, driven by npm
// playwright-core from tests/browser/): log in, search, change a role, screenshot the users page.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/json.h"
#include "tests/support/api_client.h"
#include "tests/support/stack.h"

namespace sattva::testing {
namespace {

TEST(BrowserTest, LogInSearchChangeRoleAndScreenshot) {
  const std::string browser_dir = Stack::SourceDir() + "/tests/browser";
  ASSERT_EQ(access((browser_dir + "/node_modules/playwright-core").c_str(), F_OK), 0)
      << "run `npm ci` in tests/browser (./sattva test does)";
  ASSERT_EQ(access("/usr/bin/chromium", X_OK), 0) << "apt-get install chromium (./sattva test does)";
  StackOptions o;
  o.wsd = false;
  o.streamer = false;
  Stack stack(o);
  const std::string password = stack.CreateAdmin("browser-admin@example.com");
  ApiClient admin(stack.nginx_port);
  ASSERT_EQ(admin.Login("browser-admin@example.com", password).status, 200);
  for (const char* email : {"dj-target@example.com", "listener-one@example.com",
                            "listener-two@example.com"}) {
    Json::Value b;
    b["email"] = email;
    b["display_name"] = std::string("Name of ") + email;
    ASSERT_EQ(admin.Post("/api/v1/users", b).status, 201);
  }
  const std::string shot = Stack::BinDir() + "/../admin-users.png";
  unlink(shot.c_str());
  const std::string log = stack.dir() + "/log/browser.log";
  int rc = RunCommand(
      {"/usr/bin/env", "BASE_URL=http://127.0.0.1:" + std::to_string(stack.nginx_port),
       "ADMIN_EMAIL=browser-admin@example.com", "ADMIN_PASSWORD=" + password,
       "TARGET_EMAIL=dj-target@example.com", "SCREENSHOT=" + shot, "node",
       browser_dir + "/users_page.mjs"},
      log);
  EXPECT_EQ(rc, 0) << Tail(log) << Tail(stack.log_path("fcgi"));
  struct stat st;
  ASSERT_EQ(stat(shot.c_str(), &st), 0) << "no screenshot at " << shot;
  EXPECT_GT(st.st_size, 10000) << "the screenshot is suspiciously small";
  // The role change really happened, through the UI.
  HttpResponse r = admin.Get("/api/v1/users?q=dj-target");
  Json::Value v = JsonOf(r);
  ASSERT_EQ(v["items"].size(), 1u) << r.body;
  EXPECT_EQ(v["items"][0]["role"].asString(), "moderator");
}

}  // namespace
}  // namespace sattva::testing
