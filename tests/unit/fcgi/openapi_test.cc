// docs/openapi.yaml against the router: every /api/v1 route is documented with exactly its
// methods and every documented operation is a route; path parameters are declared; and the
// document sattva-fcgi serves is byte for byte the one in docs/.
//
// The `paths:` section is read by a small, strict line-based parser (the project has no YAML
// library): `paths:` at column 0; path keys at indent 2 starting with '/'; methods and path-level
// `parameters` at indent 4; path-level parameter entries ("- name: x") at indent 6 with their
// keys at indent 8; operation keys (responses, security, ...) at indent 6. Anything it does not
// understand at those indents is an error, so the document cannot drift into a shape the parser
// would silently misread.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "fcgi/app.h"
#include "fcgi/openapi.h"
#include "fcgi/router.h"
#include "fcgi/server.h"

namespace sattva::fcgi {
namespace {

struct DocParam {
  int line = 0;
  std::map<std::string, std::string> keys;  // name, in, required, ...
};

struct DocOperation {
  int line = 0;
  std::set<std::string> keys;  // responses, security, requestBody, ...
};

struct DocPath {
  int line = 0;
  std::map<std::string, DocOperation> operations;  // lower-case method -> operation
  std::vector<DocParam> parameters;                // path-level parameters
};

struct DocPaths {
  std::map<std::string, DocPath> paths;
  std::vector<std::string> errors;  // "line N: ..."
};

const std::set<std::string>& HttpMethods() {
  static const std::set<std::string> k = {"get",  "put",     "post", "delete",
                                          "patch", "options", "head", "trace"};
  return k;
}

std::string Unquote(std::string v) {
  // Drops leading spaces, a trailing comment from an unquoted value, then surrounding quotes.
  v.erase(0, std::min(v.size(), v.find_first_not_of(' ')));
  if (!v.empty() && v[0] != '\'' && v[0] != '"') {
    const size_t hash = v.find(" #");
    if (hash != std::string::npos) v.erase(hash);
  }
  while (!v.empty() && v.back() == ' ') v.pop_back();
  if (v.size() >= 2 && (v[0] == '\'' || v[0] == '"') && v.back() == v[0]) {
    v = v.substr(1, v.size() - 2);
  }
  return v;
}

bool EmptyOrComment(const std::string& rest) {
  const size_t p = rest.find_first_not_of(' ');
  return p == std::string::npos || rest[p] == '#';
}

DocPaths ParsePaths(const std::string& yaml) {
  DocPaths out;
  auto error = [&](int line, const std::string& what) {
    out.errors.push_back("line " + std::to_string(line) + ": " + what);
  };
  std::vector<std::string> lines;
  {
    std::istringstream in(yaml);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  static const std::regex kPathKey(R"(^  (/[^\s:#'"]*):(.*)$)");
  static const std::regex kKey4(R"(^    ([A-Za-z$][A-Za-z0-9_$-]*):(.*)$)");
  static const std::regex kKey6(R"(^      ([A-Za-z$][A-Za-z0-9_$-]*):(.*)$)");
  static const std::regex kItem6(R"(^      - ([A-Za-z$][A-Za-z0-9_$-]*):(.*)$)");
  static const std::regex kKey8(R"(^        ([A-Za-z$][A-Za-z0-9_$-]*):(.*)$)");
  static const std::regex kBlockScalar(R"(:\s*[|>][-+0-9]*\s*(#.*)?$)");

  bool found = false;
  bool in_paths = false;
  DocPath* path = nullptr;
  DocOperation* op = nullptr;       // the method block we are in, if any
  bool in_path_params = false;      // in a path-level `parameters:` block
  DocParam* param = nullptr;        // the parameter entry being read
  int scalar_indent = -1;           // inside a block scalar (| or >) started at this indent
  for (size_t i = 0; i < lines.size(); ++i) {
    const int n = static_cast<int>(i) + 1;
    const std::string& l = lines[i];
    if (l.find('\r') != std::string::npos) {
      error(n, "carriage return (use LF line endings)");
      continue;
    }
    const size_t first = l.find_first_not_of(' ');
    if (first == std::string::npos) continue;  // blank
    const int indent = static_cast<int>(first);
    if (scalar_indent >= 0) {
      if (indent > scalar_indent) continue;  // block scalar content
      scalar_indent = -1;
    }
    if (l[first] == '\t') {
      error(n, "tab in indentation");
      continue;
    }
    if (l[first] == '#') continue;  // comment
    if (indent == 0) {
      if (l == "paths:" || l.rfind("paths:", 0) == 0) {
        if (found) error(n, "a second top-level paths: key");
        if (l != "paths:") error(n, "paths: must be a block mapping (nothing after the colon)");
        found = true;
        in_paths = true;
      } else {
        in_paths = false;
      }
      path = nullptr;
      op = nullptr;
      in_path_params = false;
      param = nullptr;
      continue;
    }
    if (!in_paths) continue;
    if (std::regex_search(l, kBlockScalar)) scalar_indent = indent;
    std::smatch m;
    if (indent == 2) {
      op = nullptr;
      in_path_params = false;
      param = nullptr;
      if (!std::regex_match(l, m, kPathKey) || !EmptyOrComment(m[2])) {
        error(n, "expected a path key like '  /api/v1/x:' (unquoted, starting with '/', "
                 "a block mapping): " + l);
        path = nullptr;
        continue;
      }
      const std::string p = m[1];
      if (out.paths.count(p) != 0) error(n, "duplicate path " + p);
      path = &out.paths[p];
      path->line = n;
    } else if (indent == 4) {
      op = nullptr;
      in_path_params = false;
      param = nullptr;
      if (path == nullptr) continue;  // under a path key already reported
      if (!std::regex_match(l, m, kKey4)) {
        error(n, "expected a key at indent 4: " + l);
        continue;
      }
      const std::string key = m[1];
      if (HttpMethods().count(key) != 0) {
        if (!EmptyOrComment(m[2])) error(n, key + ": must be a block mapping");
        if (path->operations.count(key) != 0) error(n, "duplicate method " + key);
        op = &path->operations[key];
        op->line = n;
      } else if (key == "parameters") {
        if (!EmptyOrComment(m[2])) error(n, "parameters: must be a block sequence");
        in_path_params = true;
      } else if (key != "summary" && key != "description" && key != "servers") {
        error(n, "unexpected key '" + key + "' in a path item (methods must be lower-case)");
      }
    } else if (indent == 6) {
      param = nullptr;
      if (op != nullptr) {
        if (!std::regex_match(l, m, kKey6)) {
          error(n, "expected an operation key at indent 6: " + l);
          continue;
        }
        if (!op->keys.insert(m[1]).second) error(n, "duplicate key " + m[1].str());
      } else if (in_path_params) {
        if (!std::regex_match(l, m, kItem6)) {
          error(n, "expected a parameter entry '- name: ...' at indent 6: " + l);
          continue;
        }
        path->parameters.emplace_back();
        param = &path->parameters.back();
        param->line = n;
        param->keys[m[1]] = Unquote(m[2]);
      } else if (path != nullptr) {
        error(n, "unexpected line at indent 6: " + l);
      }
    } else if (indent == 8 && param != nullptr) {
      if (std::regex_match(l, m, kKey8)) {
        if (!param->keys.emplace(m[1], Unquote(m[2])).second) {
          error(n, "duplicate key " + m[1].str() + " in a parameter");
        }
      } else {
        error(n, "expected a parameter key at indent 8: " + l);
      }
    } else if (indent % 2 != 0 && indent < 8) {
      error(n, "odd indentation (" + std::to_string(indent) + " spaces)");
    }
    // Deeper lines (schemas, descriptions, responses) are not this parser's business.
  }
  if (!found) out.errors.push_back("no top-level 'paths:' key");
  return out;
}

std::vector<std::string> PathParams(const std::string& templ) {
  std::vector<std::string> out;
  for (const auto& seg : SplitPath(templ)) {
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      out.push_back(seg.substr(1, seg.size() - 2));
    }
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const std::string kDocFile = std::string(SATTVA_SOURCE_DIR) + "/docs/openapi.yaml";

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "\n  " + x;
  return s;
}

// --- the parser itself -------------------------------------------------------------------------

TEST(OpenApiParserTest, ReadsPathsMethodsAndPathParameters) {
  const DocPaths d = ParsePaths(
      "openapi: 3.0.3\n"
      "paths:\n"
      "  /a/{id}:\n"
      "    description: |\n"
      "      post:\n"
      "      - name: not_a_parameter\n"
      "    parameters:\n"
      "      - name: id\n"
      "        in: path\n"
      "        required: true\n"
      "    get:\n"
      "      description: >-\n"
      "        text\n"
      "\n"
      "          get:\n"
      "      responses:\n"
      "        '200':\n"
      "          description: ok\n"
      "    delete:\n"
      "      responses: {}\n"
      "components:\n"
      "  /b:\n"
      "    get: {}\n");
  EXPECT_TRUE(d.errors.empty()) << Join(d.errors);
  ASSERT_EQ(d.paths.size(), 1u);
  const DocPath& p = d.paths.at("/a/{id}");
  EXPECT_EQ(p.operations.size(), 2u);
  EXPECT_EQ(p.operations.count("get"), 1u);
  EXPECT_EQ(p.operations.count("delete"), 1u);
  EXPECT_EQ(p.operations.at("get").keys, (std::set<std::string>{"description", "responses"}));
  ASSERT_EQ(p.parameters.size(), 1u);
  EXPECT_EQ(p.parameters[0].keys.at("name"), "id");
  EXPECT_EQ(p.parameters[0].keys.at("in"), "path");
  EXPECT_EQ(p.parameters[0].keys.at("required"), "true");
}

TEST(OpenApiParserTest, RefusesWhatItCannotReadReliably) {
  for (const char* bad : {
           "paths:\n  /a:\n    GET:\n      responses: {}\n",        // upper-case method
           "paths:\n  /a:\n    get: {responses: {}}\n",              // flow mapping
           "paths:\n  '/a':\n    get:\n      responses: {}\n",       // quoted key
           "paths:\n  /a:\n    get:\n  /a:\n    post:\n",            // duplicate path
           "paths:\n  /a:\n    get:\n    get:\n",                    // duplicate method
           "paths:\n  /a:\n\tget:\n",                                // tab
           "paths:\n  /a:\n     get:\n",                             // odd indent
           "paths:\n  /a:\n    parameters:\n      name: id\n",       // not a sequence entry
           "paths: {}\n",                                            // flow mapping
           "openapi: 3.0.3\n",                                       // no paths
       }) {
    EXPECT_FALSE(ParsePaths(bad).errors.empty()) << bad;
  }
}

// --- the document against the router ----------------------------------------------------------

class OpenApiTest : public ::testing::Test {
 protected:
  OpenApiTest() : yaml_(ReadFile(kDocFile)), doc_(ParsePaths(yaml_)) { RegisterRoutes(router_); }

  std::string yaml_;
  DocPaths doc_;
  Router router_;
};

TEST_F(OpenApiTest, DocumentParses) {
  ASSERT_FALSE(yaml_.empty()) << "cannot read " << kDocFile;
  EXPECT_EQ(yaml_.rfind("openapi: 3.0.3\n", 0), 0u) << "the document must start with openapi: 3.0.3";
  EXPECT_TRUE(doc_.errors.empty()) << kDocFile << " paths: section:" << Join(doc_.errors);
  EXPECT_GE(doc_.paths.size(), 10u);
}

TEST_F(OpenApiTest, RoutesAndDocumentedPathsAgree) {
  ASSERT_TRUE(doc_.errors.empty()) << Join(doc_.errors);
  std::set<std::string> routes;  // "GET /api/v1/x"
  for (const auto& r : router_.Routes()) {
    if (r.pattern == "/api/v1" || r.pattern.rfind("/api/v1/", 0) == 0) {
      routes.insert(Upper(r.method) + " " + r.pattern);
    }
  }
  std::set<std::string> documented;
  for (const auto& [path, item] : doc_.paths) {
    for (const auto& [method, op] : item.operations) documented.insert(Upper(method) + " " + path);
  }
  std::vector<std::string> undocumented, not_routes;
  for (const auto& r : routes) {
    if (documented.count(r) == 0) undocumented.push_back(r);
  }
  for (const auto& d : documented) {
    if (routes.count(d) == 0) not_routes.push_back(d);
  }
  EXPECT_TRUE(undocumented.empty())
      << "routes registered by RegisterRoutes but missing from docs/openapi.yaml:"
      << Join(undocumented);
  EXPECT_TRUE(not_routes.empty())
      << "operations in docs/openapi.yaml that are not routes (HEAD and OPTIONS are implicit; "
         "only /api/v1 is documented):"
      << Join(not_routes);
  EXPECT_GE(routes.size(), 30u);  // the router really was populated
}

TEST_F(OpenApiTest, EveryPathParameterIsDeclared) {
  ASSERT_TRUE(doc_.errors.empty()) << Join(doc_.errors);
  std::vector<std::string> problems;
  for (const auto& [path, item] : doc_.paths) {
    const std::vector<std::string> names = PathParams(path);
    std::set<std::string> declared;
    for (const auto& p : item.parameters) {
      const auto name = p.keys.find("name");
      const auto in = p.keys.find("in");
      if (name == p.keys.end() || in == p.keys.end()) {
        problems.push_back(path + " (line " + std::to_string(p.line) +
                           "): a path-level parameter needs name and in, inline");
        continue;
      }
      if (in->second != "path") continue;
      if (!declared.insert(name->second).second) {
        problems.push_back(path + ": path parameter '" + name->second + "' declared twice");
      }
      const auto req = p.keys.find("required");
      if (req == p.keys.end() || req->second != "true") {
        problems.push_back(path + ": path parameter '" + name->second + "' needs required: true");
      }
      if (std::find(names.begin(), names.end(), name->second) == names.end()) {
        problems.push_back(path + ": declares path parameter '" + name->second +
                           "' that the path does not have");
      }
    }
    for (const auto& n : names) {
      if (declared.count(n) == 0) {
        problems.push_back(path + ": {" + n + "} has no path-level parameter entry "
                           "(- name: " + n + ", in: path, required: true)");
      }
    }
  }
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST_F(OpenApiTest, EveryOperationHasResponsesAndSecurity) {
  ASSERT_TRUE(doc_.errors.empty()) << Join(doc_.errors);
  std::vector<std::string> problems;
  for (const auto& [path, item] : doc_.paths) {
    for (const auto& [method, op] : item.operations) {
      for (const char* key : {"responses", "security", "operationId"}) {
        if (op.keys.count(key) == 0) {
          problems.push_back(Upper(method) + " " + path + " (line " + std::to_string(op.line) +
                             "): no " + key);
        }
      }
    }
  }
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

// --- what is served -------------------------------------------------------------------------------

TEST_F(OpenApiTest, EmbeddedDocumentIsTheFileInDocs) {
  ASSERT_FALSE(yaml_.empty());
  // A mismatch means the build did not regenerate openapi_yaml.cc: re-run cmake.
  EXPECT_TRUE(OpenApiYaml() == yaml_) << "embedded " << OpenApiYaml().size() << " bytes, "
                                      << kDocFile << " has " << yaml_.size();
}

TEST_F(OpenApiTest, ServedPubliclyAsYaml) {
  common::Config config =
      common::Config::FromOverrides({"redis_port=1", "pg_dsn=host=127.0.0.1 port=1"});
  common::FakeClock clock;
  common::Metrics metrics;
  AppEnv env{config, clock, metrics};
  ThreadResources res(env);
  Request req;
  req.method = "GET";
  req.path = "/api/v1/openapi.yaml";
  RequestContext ctx{req, env, res};
  // No session, no token, and no database or Redis to ask: the document needs none of them.
  const Response r = Dispatch(router_, ctx);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(req.route, "/api/v1/openapi.yaml");
  std::map<std::string, std::string> headers;
  for (const auto& [k, v] : r.headers) headers[Lower(k)] = v;
  EXPECT_EQ(headers["content-type"], "application/yaml; charset=utf-8");
  EXPECT_EQ(headers["cache-control"], "public, max-age=300");
  EXPECT_TRUE(r.body == yaml_) << "served " << r.body.size() << " bytes";
}

}  // namespace
}  // namespace sattva::fcgi
