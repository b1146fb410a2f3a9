#pragma once
// What the admin panel's view tests share: the templates directory, a signed-in principal, a
// layout, and checks on rendered HTML.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "fcgi/admin/views.h"
#include "fcgi/context.h"

namespace sattva::fcgi::paneltest {

inline std::string Dir() { return std::string(SATTVA_SOURCE_DIR) + "/templates"; }

inline int Count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

inline bool Has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

// No script or attribute payload made it through as markup.
inline void ExpectNoRawPayload(const std::string& html) {
  EXPECT_FALSE(Has(html, "<script>alert")) << html;
  EXPECT_FALSE(Has(html, "<img src=x")) << html;
  EXPECT_FALSE(Has(html, "onerror=alert(1)>")) << html;
}

// A signed-in user with a session (CSRF token "csrf-token-123").
inline Principal MakePrincipal(int64_t id, Role role,
                               const std::string& email = "me@example.com") {
  Principal p;
  p.user.id = id;
  p.user.email = email;
  p.user.role = role;
  p.user.created_at = "2024-05-01T10:00:00.000Z";
  p.user.has_password = true;
  Session s;
  s.csrf_token = "csrf-token-123";
  s.user_id = id;
  p.session = s;
  return p;
}

inline LayoutInfo Layout(const Principal* p, const std::string& active = "",
                         const std::string& title = "Test") {
  LayoutInfo l;
  l.title = title;
  l.active = active;
  l.viewer = p;
  return l;
}

}  // namespace sattva::fcgi::paneltest
