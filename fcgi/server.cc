#include "fcgi/server.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "common/log.h"
#include "fcgi/multipart.h"

namespace sattva::fcgi {
namespace {

std::string Param(const std::map<std::string, std::string>& p, const char* name) {
  auto it = p.find(name);
  return it == p.end() ? std::string() : it->second;
}

// Bounded label values: anything but the standard methods is "OTHER".
std::string MethodLabel(const std::string& m) {
  static const char* kKnown[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (const char* k : kKnown) {
    if (m == k) return m;
  }
  return "OTHER";
}

bool IsAdminPath(const std::string& path) {
  return path == "/admin" || path.rfind("/admin/", 0) == 0;
}

// The plain error page of the admin panel: no templates (it must work when they are broken), the
// admin stylesheet and markup of templates/error.tpl. Signed-in pages get the layout instead
// (fcgi/admin/pages.cc).
std::string HtmlErrorPage(int status, const std::string& message) {
  const std::string title = HtmlEscape(std::to_string(status) + " " + StatusText(status));
  std::string text = HtmlEscape(message);
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         title +
         " · Sattva admin</title>\n<link rel=\"stylesheet\" href=\"/static/admin.css\">\n"
         "</head>\n<body class=\"anon\">\n<header class=\"topbar\"><div class=\"topbar-inner\">"
         "<a class=\"brand\" href=\"/admin/\"><img src=\"/static/favicon.svg\" alt=\"\" "
         "width=\"26\" height=\"26\"><span>Sattva</span></a></div></header>\n"
         "<main class=\"content\"><section class=\"error-page\"><p class=\"error-code\">" +
         std::to_string(status) + "</p>\n<h1>" + title + "</h1>\n<p>" + text +
         "</p>\n<p><a class=\"btn\" href=\"/admin/\">Back to the admin panel</a></p>"
         "</section></main>\n</body>\n</html>\n";
}

// True when something accepts connections on the unix socket at `path`.
bool UnixSocketAlive(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool alive = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return alive;
}

}  // namespace

ThreadResources::ThreadResources(const AppEnv& env)
    : pg(common::Pg::FromConfig(env.config, "sattva-fcgi")),
      redis(common::RedisOptions::FromConfig(env.config)),
      events(redis, env.clock, env.config.GetInt("events_maxlen")),
      sessions(redis, env.clock, std::chrono::seconds(env.config.GetInt("session_idle_timeout_s")),
               std::chrono::seconds(env.config.GetInt("session_absolute_timeout_s"))),
      limiter(redis) {}

void RequestContext::Read(const std::function<void(pqxx::transaction_base&)>& fn) {
  res.pg->Run([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    fn(tx);
  });
}

void RequestContext::Tx(const std::function<void(pqxx::work&)>& fn) {
  res.pg->Run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    fn(tx);
    tx.commit();
  });
}

Request BuildRequest(const std::map<std::string, std::string>& params) {
  Request r;
  r.method = Param(params, "REQUEST_METHOD");
  r.raw_uri = Param(params, "REQUEST_URI");
  if (r.raw_uri.empty()) r.raw_uri = Param(params, "DOCUMENT_URI");
  r.remote_addr = Param(params, "REMOTE_ADDR");
  const size_t q = r.raw_uri.find('?');
  const std::string raw_path = r.raw_uri.substr(0, q);
  r.query_string = q == std::string::npos ? std::string() : r.raw_uri.substr(q + 1);
  if (raw_path.empty() || raw_path[0] != '/') {
    throw HttpError(400, "bad_request", "the request path must start with '/'");
  }
  if (!PercentDecode(raw_path, false, &r.path)) {
    throw HttpError(400, "bad_request", "the request path has malformed percent-encoding");
  }
  if (!ParseQuery(r.query_string, &r.query)) {
    throw HttpError(400, "bad_request", "the query string has malformed percent-encoding");
  }
  for (const auto& [k, v] : params) {
    if (k.rfind("HTTP_", 0) != 0) continue;
    std::string name = k.substr(5);
    for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    r.headers[name] = v;
  }
  if (auto ct = params.find("CONTENT_TYPE"); ct != params.end() && !ct->second.empty()) {
    r.headers["content-type"] = ct->second;
  }
  return r;
}

size_t CheckContentLength(const std::map<std::string, std::string>& params, size_t max_body) {
  std::string cl = Param(params, "CONTENT_LENGTH");
  if (cl.empty()) return 0;
  for (char c : cl) {
    if (c < '0' || c > '9') throw HttpError(400, "bad_request", "malformed Content-Length");
  }
  if (cl.size() > 18) {
    throw HttpError(413, "payload_too_large",
                    "request body exceeds the limit of " + std::to_string(max_body) + " bytes");
  }
  unsigned long long n = std::strtoull(cl.c_str(), nullptr, 10);
  if (n > max_body) {
    throw HttpError(413, "payload_too_large",
                    "request body exceeds the limit of " + std::to_string(max_body) + " bytes");
  }
  return static_cast<size_t>(n);
}

bool TakeBodyFile(const std::map<std::string, std::string>& params, size_t max_body, Request* req) {
  const std::string path = Param(params, "REQUEST_BODY_FILE");
  if (path.empty()) return false;
  const std::string* ct = req->Header("content-type");
  if (ct != nullptr && IsMultipartFormData(*ct)) {
    req->body_file = path;
    return true;
  }
  struct Fd {
    int fd;
    ~Fd() {
      if (fd >= 0) close(fd);
    }
  } f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  struct stat st;
  if (f.fd < 0 || fstat(f.fd, &st) != 0) {
    LOG_ERROR << "cannot read the request body file " << path << ": " << std::strerror(errno);
    throw HttpError(500, "internal_error", "internal server error");
  }
  const auto size = static_cast<unsigned long long>(st.st_size);
  if (size > max_body) {
    throw HttpError(413, "payload_too_large",
                    "request body exceeds the limit of " + std::to_string(max_body) + " bytes");
  }
  req->body.resize(static_cast<size_t>(size));
  size_t got = 0;
  while (got < req->body.size()) {
    const ssize_t n = read(f.fd, req->body.data() + got, req->body.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      LOG_ERROR << "cannot read the request body file " << path << ": "
                << (n < 0 ? std::strerror(errno) : "it shrank");
      throw HttpError(500, "internal_error", "internal server error");
    }
    got += static_cast<size_t>(n);
  }
  return true;
}

Response ErrorResponse(const std::string& path, int status, const std::string& code,
                       const std::string& message) {
  if (IsAdminPath(path)) {
    Response r;
    r.status = status;
    r.SetHeader("Content-Type", "text/html; charset=utf-8");
    r.SetHeader("Cache-Control", "no-store");
    r.body = HtmlErrorPage(status, message);
    return r;
  }
  return Response::Json(status, ErrorEnvelope(code, message));
}

static void WriteHead(FCGX_Stream* out, const Response& resp, const std::string* body) {
  std::string head = "Status: " + std::to_string(resp.status) + " " + StatusText(resp.status) +
                     "\r\n";
  for (const auto& [k, v] : resp.headers) head += k + ": " + v + "\r\n";
  if (body != nullptr) head += "Content-Length: " + std::to_string(body->size()) + "\r\n";
  head += "\r\n";
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), out);
}

Response Dispatch(const Router& router, RequestContext& ctx) {
  Request& req = ctx.req;
  try {
    Router::Match m = router.Find(req.method, req.path);
    if (m.outcome == Router::Outcome::kNotFound) {
      req.route = "unmatched";
      throw HttpError(404, "not_found", "no such resource: " + req.path);
    }
    std::string allow;
    for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
    if (m.outcome == Router::Outcome::kMethodNotAllowed) {
      req.route = "unmatched";
      if (req.method == "OPTIONS") {
        Response r;
        r.status = 204;
        r.SetHeader("Allow", allow + ", OPTIONS");
        return r;
      }
      HttpError e(405, "method_not_allowed",
                  req.method + " is not allowed here; allowed: " + allow);
      e.headers.emplace_back("Allow", allow);
      throw e;
    }
    req.route = m.route;
    req.params = std::move(m.params);
    return (*m.handler)(ctx);
  } catch (const HttpError& e) {
    Response r = ErrorResponse(req.path, e.status(), e.code(), e.what());
    for (const auto& h : e.headers) r.SetHeader(h.first, h.second);
    return r;
  } catch (const pqxx::data_exception& e) {
    // A value PostgreSQL refused (an impossible date, a number out of range): the client's.
    LOG_WARN << req.method << " " << req.path << ": " << e.what();
    return ErrorResponse(req.path, 422, "validation_failed", "a value is out of range or invalid");
  } catch (const common::PgError& e) {
    LOG_ERROR << req.method << " " << req.path << ": " << e.what();
    return ErrorResponse(req.path, 503, "database_unavailable",
                         "the database is unavailable; try again shortly");
  } catch (const common::RedisError& e) {
    LOG_ERROR << req.method << " " << req.path << ": " << e.what();
    return ErrorResponse(req.path, 503, "redis_unavailable",
                         "live state (Redis) is unavailable; try again shortly");
  } catch (const std::exception& e) {
    LOG_ERROR << req.method << " " << req.path << ": unhandled error: " << e.what();
    return ErrorResponse(req.path, 500, "internal_error", "internal server error");
  }
}

Server::Server(const Router& router, const AppEnv& env)
    : router_(router), env_(env), request_metrics_(env.metrics.registry()) {}

Server::~Server() {
  if (listen_fd_ >= 0) close(listen_fd_);
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
}

void Server::Listen(const std::string& address) {
  if (FCGX_Init() != 0) throw std::runtime_error("FCGX_Init failed");
  const bool is_unix = address.find(':') == std::string::npos;
  if (is_unix) {
    if (address.size() >= sizeof(sockaddr_un::sun_path)) {
      throw std::runtime_error("fcgi socket path is too long (max " +
                               std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                               " bytes): " + address);
    }
    struct stat st;
    if (lstat(address.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        throw std::runtime_error(address + " exists and is not a socket; refusing to replace it");
      }
      if (UnixSocketAlive(address)) {
        throw std::runtime_error("another process is already serving " + address);
      }
      unlink(address.c_str());  // a stale socket from a process that died
    }
  }
  listen_fd_ = FCGX_OpenSocket(address.c_str(), 1024);
  if (listen_fd_ < 0) {
    throw std::runtime_error("cannot listen on " + address + ": " + std::strerror(errno));
  }
  if (is_unix) {
    unix_path_ = address;
    chmod(address.c_str(), 0660);
  }
}

void Server::Start(int threads) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_workers_ = threads;
  }
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

bool Server::Shutdown(std::chrono::milliseconds grace) {
  FCGX_ShutdownPending();
  // Wakes every thread blocked in accept(): it fails with EINVAL and FCGX_Accept_r returns -1.
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  std::unique_lock<std::mutex> lock(mu_);
  bool done = cv_.wait_for(lock, grace, [this] { return running_workers_ == 0; });
  lock.unlock();
  if (done) {
    for (auto& t : workers_) t.join();
    workers_.clear();
  } else {
    for (auto& t : workers_) t.detach();
    workers_.clear();
  }
  return done;
}

void Server::WorkerLoop(int index) {
  ThreadResources res(env_);
  FCGX_Request fr;
  FCGX_InitRequest(&fr, listen_fd_, 0);
  const size_t max_body = static_cast<size_t>(env_.config.GetInt("fcgi_max_body_bytes"));
  while (FCGX_Accept_r(&fr) == 0) {
    ++in_flight_;
    auto start = env_.clock.Now();
    std::map<std::string, std::string> params;
    for (char** e = fr.envp; e != nullptr && *e != nullptr; ++e) {
      const char* eq = std::strchr(*e, '=');
      if (eq == nullptr) continue;
      params.emplace(std::string(*e, eq - *e), std::string(eq + 1));
    }
    Request req;
    req.method = Param(params, "REQUEST_METHOD");
    req.path = Param(params, "DOCUMENT_URI");
    req.route = "unmatched";
    Response resp;
    bool streamed = false;
    try {
      req = BuildRequest(params);
      req.route = "unmatched";
      size_t len = TakeBodyFile(params, max_body, &req) ? 0 : CheckContentLength(params, max_body);
      if (len > 0) {
        req.body.resize(len);
        int got = FCGX_GetStr(req.body.data(), static_cast<int>(len), fr.in);
        if (got < 0 || static_cast<size_t>(got) != len) {
          throw HttpError(400, "bad_request", "request body is shorter than Content-Length");
        }
      }
      RequestContext ctx{req, env_, res};
      resp = Dispatch(router_, ctx);
      // Headers a handler set for any outcome (a login's Set-Cookie), once each.
      for (const auto& h : ctx.extra_headers) {
        if (std::find(resp.headers.begin(), resp.headers.end(), h) == resp.headers.end()) {
          resp.headers.push_back(h);
        }
      }
      if (resp.stream) {
        // Streamed while ctx (and this thread's connections) are alive; see Response::stream.
        WriteHead(fr.out, resp, nullptr);
        if (req.method != "HEAD") {
          const BodyWriter write = [&fr](const char* data, size_t size) {
            while (size > 0) {
              const int n = static_cast<int>(std::min<size_t>(size, 1 << 20));
              if (FCGX_PutStr(data, n, fr.out) != n) return false;
              data += n;
              size -= static_cast<size_t>(n);
            }
            return true;
          };
          try {
            resp.stream(write);
          } catch (const std::exception& e) {
            LOG_ERROR << req.method << " " << req.raw_uri
                      << ": streamed response aborted: " << e.what();
          }
        }
        streamed = true;
      }
    } catch (const HttpError& e) {
      resp = ErrorResponse(req.path, e.status(), e.code(), e.what());
    }
    if (!streamed) {
      WriteHead(fr.out, resp, &resp.body);
      if (req.method != "HEAD" && !resp.body.empty()) {
        FCGX_PutStr(resp.body.data(), static_cast<int>(resp.body.size()), fr.out);
      }
    }
    FCGX_Finish_r(&fr);
    double secs = std::chrono::duration<double>(env_.clock.Now() - start).count();
    request_metrics_.Observe(MethodLabel(req.method), req.route, resp.status, secs);
    if (resp.status >= 500) {
      LOG_WARN << req.method << " " << req.raw_uri << " -> " << resp.status;
    } else {
      LOG_DEBUG << req.method << " " << req.raw_uri << " -> " << resp.status;
    }
    --in_flight_;
  }
  FCGX_Free(&fr, 0);
  LOG_DEBUG << "worker " << index << " stopped";
  std::lock_guard<std::mutex> lock(mu_);
  --running_workers_;
  cv_.notify_all();
}

}  // namespace sattva::fcgi
