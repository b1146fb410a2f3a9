// sattva-wsd's recv(): the one lws calls to read a connection. It reads with recvfrom (what
// glibc's recv does) and passes the bytes of established WebSocket connections through their
// MaskGuard (wsd/mask_guard.h). An unmasked client frame fails the read with EPROTO, and lws
// drops the connection (RFC 6455 5.1). Linked into the sattva-wsd executable only: the
// executable's definition takes precedence over libc's for every library in the process, and
// sockets nobody watches (Redis, PostgreSQL, HTTP) pass straight through.

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>

#include "wsd/mask_guard.h"

extern "C" ssize_t recv(int fd, void* buf, size_t len, int flags) {
  ssize_t n = recvfrom(fd, buf, len, flags, nullptr, nullptr);
  if (n > 0 && (flags & MSG_PEEK) == 0 &&
      !sattva::wsd::mask_guards::Check(fd, buf, static_cast<size_t>(n))) {
    errno = EPROTO;
    return -1;
  }
  return n;
}
