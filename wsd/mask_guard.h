#pragma once
// RFC 6455 5.1: a server must close the connection when a client sends a frame that is not
// masked. lws 4.1 accepts unmasked client frames and gives no way to tell, so wsd watches
// the bytes itself: sattva-wsd's recv() (wsd/recv_hook.cc, linked into the daemon only)
// passes what each WebSocket connection reads through a MaskGuard, and fails the read
// (EPROTO, which makes lws drop the connection) at the first unmasked frame.

#include <cstddef>
#include <cstdint>

namespace sattva::wsd {

// Follows the frame boundaries of one client-to-server byte stream, from the first byte after
// the handshake. Not thread-safe (one connection, read by the lws service thread).
class MaskGuard {
 public:
  // Feeds the next |n| bytes. Returns false once an unmasked frame header was seen (and from
  // then on).
  bool Feed(const unsigned char* p, size_t n);
  bool violated() const { return violated_; }

 private:
  enum class State { kHeader0, kHeader1, kLength, kMaskKey, kPayload };
  State state_ = State::kHeader0;
  bool violated_ = false;
  int length_bytes_ = 0;   // extended length bytes still to read
  int mask_bytes_ = 0;     // mask key bytes still to read
  uint64_t length_ = 0;    // extended length being assembled
  uint64_t payload_ = 0;   // payload bytes still to skip
};

// The MaskGuards of the connections wsd serves, by socket. Watch/Unwatch and Check for a
// watched socket run on the service thread; Check for any other socket (other threads' Redis
// and PostgreSQL sockets) only reads an empty slot.
namespace mask_guards {
// Starts checking socket |fd| (call when the WebSocket is established).
void Watch(int fd);
// Stops (call when the connection closes, before lws closes the socket).
void Unwatch(int fd);
// Feeds |n| bytes read from |fd|. False when |fd| is watched and sent an unmasked frame.
bool Check(int fd, const void* data, size_t n);
}  // namespace mask_guards

}  // namespace sattva::wsd
