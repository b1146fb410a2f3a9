#include "wsd/mask_guard.h"

#include <algorithm>
#include <atomic>

namespace sattva::wsd {

bool MaskGuard::Feed(const unsigned char* p, size_t n) {
  size_t i = 0;
  while (i < n && !violated_) {
    switch (state_) {
      case State::kHeader0:
        ++i;  // FIN, RSV and opcode: lws judges those
        state_ = State::kHeader1;
        break;
      case State::kHeader1: {
        const unsigned char b = p[i++];
        if ((b & 0x80) == 0) {
          violated_ = true;
          break;
        }
        mask_bytes_ = 4;
        const unsigned len7 = b & 0x7f;
        if (len7 == 126 || len7 == 127) {
          length_bytes_ = len7 == 126 ? 2 : 8;
          length_ = 0;
          state_ = State::kLength;
        } else {
          payload_ = len7;
          state_ = State::kMaskKey;
        }
        break;
      }
      case State::kLength:
        length_ = (length_ << 8) | p[i++];
        if (--length_bytes_ == 0) {
          payload_ = length_;
          state_ = State::kMaskKey;
        }
        break;
      case State::kMaskKey: {
        const size_t take = std::min<size_t>(static_cast<size_t>(mask_bytes_), n - i);
        i += take;
        mask_bytes_ -= static_cast<int>(take);
        if (mask_bytes_ == 0) state_ = payload_ == 0 ? State::kHeader0 : State::kPayload;
        break;
      }
      case State::kPayload: {
        const uint64_t take = std::min<uint64_t>(payload_, n - i);
        i += static_cast<size_t>(take);
        payload_ -= take;
        if (payload_ == 0) state_ = State::kHeader0;
        break;
      }
    }
  }
  return !violated_;
}

namespace mask_guards {
namespace {

// Sockets above this are not checked (wsd raises its descriptor limit to wsd_max_clients
// plus a margin; 1 << 20 is the kernel's default hard cap).
constexpr int kMaxFd = 1 << 20;
// Static storage: zero pages, so only the slots of sockets in use take memory.
std::atomic<MaskGuard*> g_slots[kMaxFd];

}  // namespace

void Watch(int fd) {
  if (fd < 0 || fd >= kMaxFd) return;
  delete g_slots[fd].exchange(new MaskGuard());
}

void Unwatch(int fd) {
  if (fd < 0 || fd >= kMaxFd) return;
  delete g_slots[fd].exchange(nullptr);
}

bool Check(int fd, const void* data, size_t n) {
  if (fd < 0 || fd >= kMaxFd) return true;
  MaskGuard* g = g_slots[fd].load(std::memory_order_acquire);
  if (g == nullptr) return true;
  return g->Feed(static_cast<const unsigned char*>(data), n);
}

}  // namespace mask_guards
}  // namespace sattva::wsd
