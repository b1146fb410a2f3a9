#include "wsd/frames.h"

#include <cstring>

namespace sattva::wsd {

size_t FrameHeaderSize(size_t n) {
  if (n < 126) return 2;
  if (n <= 0xffff) return 4;
  return 10;
}

void AppendTextFrame(std::vector<unsigned char>* out, const std::string& payload,
                     bool compressed) {
  const size_t n = payload.size();
  unsigned char h[10];
  h[0] = 0x80 | 0x01;  // FIN, opcode text
  if (compressed) h[0] |= 0x40;  // RSV1: permessage-deflate
  size_t hl = 2;
  if (n < 126) {
    h[1] = static_cast<unsigned char>(n);
  } else if (n <= 0xffff) {
    h[1] = 126;
    h[2] = static_cast<unsigned char>(n >> 8);
    h[3] = static_cast<unsigned char>(n);
    hl = 4;
  } else {
    h[1] = 127;
    for (int i = 0; i < 8; ++i) h[2 + i] = static_cast<unsigned char>(uint64_t{n} >> (56 - 8 * i));
    hl = 10;
  }
  out->insert(out->end(), h, h + hl);
  out->insert(out->end(), payload.begin(), payload.end());
}

bool DeflateMessage(z_stream* z, const std::string& in, std::string* out) {
  if (deflateReset(z) != Z_OK) return false;
  out->resize(deflateBound(z, in.size()) + 16);
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z->avail_in = static_cast<uInt>(in.size());
  z->next_out = reinterpret_cast<Bytef*>(out->data());
  z->avail_out = static_cast<uInt>(out->size());
  // A sync flush ends the data on a byte boundary with an empty stored block (00 00 ff ff)
  // and leaves BFINAL clear; RFC 7692 drops those four bytes.
  int rc = deflate(z, Z_SYNC_FLUSH);
  if (rc != Z_OK || z->avail_in != 0 || z->avail_out == 0) return false;
  size_t n = out->size() - z->avail_out;
  if (n < 4 || std::memcmp(out->data() + n - 4, "\x00\x00\xff\xff", 4) != 0) return false;
  out->resize(n - 4);
  return true;
}

DeflateCache::DeflateCache(size_t capacity) : entries_(capacity == 0 ? 1 : capacity) {
  // Raw DEFLATE (negative window bits), a 32 KiB window, as RFC 7692 expects by default.
  z_ok_ = deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

DeflateCache::~DeflateCache() {
  if (z_ok_) deflateEnd(&z_);
}

bool DeflateCache::Compress(const std::string& in, std::string* out) {
  return z_ok_ && DeflateMessage(&z_, in, out);
}

const std::string* DeflateCache::Get(const Message& m) {
  if (!m || m->size() < kMinBytes) return nullptr;
  // Fan-out writes one message to many clients in a row, so the last entries are the hits.
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[(next_ + entries_.size() - 1 - i) % entries_.size()];
    if (!e.key) break;
    if (e.key == m) return e.deflated.empty() ? nullptr : &e.deflated;
  }
  Entry& slot = entries_[next_];
  next_ = (next_ + 1) % entries_.size();
  slot.key = m;
  slot.deflated.clear();
  std::string z;
  if (Compress(*m, &z) && z.size() < m->size()) {
    bytes_in_ += m->size();
    bytes_out_ += z.size();
    ++compressed_;
    slot.deflated = std::move(z);
  }
  return slot.deflated.empty() ? nullptr : &slot.deflated;
}

}  // namespace sattva::wsd
