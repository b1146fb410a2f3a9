#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

namespace sattva::testing {

std::string HttpResponse::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse HttpRequest(int port, const std::string& method, const std::string& raw_target,
                         const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& headers,
                         int timeout_ms) {
  HttpResponse resp;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    resp.error = "connect failed";
    return resp;
  }
  std::string req = method + " " + raw_target + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                    std::to_string(port) + "\r\nConnection: close\r\n";
  bool has_len = false;
  for (const auto& [k, v] : headers) {
    req += k + ": " + v + "\r\n";
    if (strcasecmp(k.c_str(), "content-length") == 0) has_len = true;
  }
  if (!body.empty() && !has_len) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    off += static_cast<size_t>(n);
  }
  std::string raw;
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t hend = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || hend == std::string::npos) {
    resp.error = "malformed response: " + raw.substr(0, 200);
    return resp;
  }
  resp.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  size_t pos = raw.find("\r\n") + 2;
  while (pos < hend) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string k = line.substr(0, colon);
      for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string v = line.substr(colon + 1);
      while (!v.empty() && v[0] == ' ') v.erase(0, 1);
      if (resp.headers.count(k)) {
        resp.headers[k] += ", " + v;
      } else {
        resp.headers[k] = v;
      }
    }
    pos = eol + 2;
  }
  std::string rest = raw.substr(hend + 4);
  if (resp.Header("transfer-encoding").find("chunked") != std::string::npos) {
    std::string out;
    size_t p = 0;
    while (p < rest.size()) {
      size_t eol = rest.find("\r\n", p);
      if (eol == std::string::npos) break;
      size_t n = std::strtoul(rest.substr(p, eol - p).c_str(), nullptr, 16);
      if (n == 0) break;
      out += rest.substr(eol + 2, n);
      p = eol + 2 + n + 2;
    }
    resp.body = out;
  } else {
    resp.body = rest;
  }
  return resp;
}

}  // namespace sattva::testing
