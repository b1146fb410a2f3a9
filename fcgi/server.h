#pragma once
// The FastCGI front: N worker threads accepting on one socket, each with its own
// ThreadResources. Request parsing and dispatch are plain functions so they are unit-tested
// without libfcgi.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.h"
#include "fcgi/context.h"
#include "fcgi/router.h"

namespace sattva::fcgi {

// Builds a Request from FastCGI params (REQUEST_METHOD, REQUEST_URI, QUERY_STRING, HTTP_*...).
// Throws HttpError 400 on a malformed URI (bad percent-encoding, NUL bytes).
Request BuildRequest(const std::map<std::string, std::string>& params);
// Checks CONTENT_LENGTH against the limit. Returns the length; throws HttpError 400 (malformed)
// or 413 (too large).
size_t CheckContentLength(const std::map<std::string, std::string>& params, size_t max_body);
// When nginx wrote the body to a file (the REQUEST_BODY_FILE param, which only the upload
// location of nginx/nginx.conf.template sets), the FastCGI stdin is empty. A multipart/form-data
// body then stays on disk: req->body_file is set, for the handler to stream (its own limit
// applies). Any other body is read into req->body, refused with 413 over max_body. Returns false,
// doing nothing, when there is no such param. Throws HttpError.
bool TakeBodyFile(const std::map<std::string, std::string>& params, size_t max_body, Request* req);
// Routes and runs the handler. Never throws: HttpError becomes its status; PgError/RedisError
// become 503; anything else becomes 500 (logged). Errors are a JSON envelope, or an HTML page
// for /admin paths.
Response Dispatch(const Router& router, RequestContext& ctx);
// The error response for `path`, as Dispatch renders it.
Response ErrorResponse(const std::string& path, int status, const std::string& code,
                       const std::string& message);

class Server {
 public:
  // |router|, |env| must outlive the server.
  Server(const Router& router, const AppEnv& env);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the listen socket (unix path or HOST:PORT). Throws std::runtime_error, e.g. when
  // another process is already serving the socket.
  void Listen(const std::string& address);
  void Start(int threads);
  // Stops accepting, lets in-flight requests finish, waits up to `grace`. Returns true when
  // every worker finished in time.
  bool Shutdown(std::chrono::milliseconds grace);
  int in_flight() const { return in_flight_.load(); }

 private:
  void WorkerLoop(int index);

  const Router& router_;
  const AppEnv& env_;
  common::RequestMetrics request_metrics_;
  int listen_fd_ = -1;
  std::string unix_path_;
  std::vector<std::thread> workers_;
  std::atomic<int> in_flight_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int running_workers_ = 0;  // guarded by mu_
};

}  // namespace sattva::fcgi
