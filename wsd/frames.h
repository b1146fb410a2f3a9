#pragma once
// WebSocket frames as wsd writes them (RFC 6455 section 5.2, RFC 7692 for permessage-deflate).
//
// wsd frames its text messages itself and hands lws whole frames as raw bytes, so that all
// the messages queued for a client go out in one write (one syscall) instead of one write
// each. Server frames are never masked, so a frame's bytes are the same for every client.
//
// permessage-deflate: lws negotiates the extension. Each message wsd compresses is a
// complete, independent DEFLATE stream ended by a sync flush (with the trailing 00 00 ff ff
// removed), so it is valid whether or not context takeover was negotiated, and it is
// compressed once for every client that negotiated the extension. Messages may also be sent
// uncompressed (RSV1 clear); RFC 7692 allows both on one connection.

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "wsd/wire_event.h"

namespace sattva::wsd {

// Appends one final text frame holding |payload| to |out|. |compressed| sets RSV1 (the
// payload is a permessage-deflate message).
void AppendTextFrame(std::vector<unsigned char>* out, const std::string& payload, bool compressed);

// The size of the frame header for a payload of |n| bytes (2, 4 or 10).
size_t FrameHeaderSize(size_t n);

// Compresses messages for permessage-deflate clients, each once. A message is looked up by
// identity (the shared string), so the same event written to 10,000 clients is compressed
// once; the most recent |capacity| messages are remembered. Service thread only.
class DeflateCache {
 public:
  // Messages shorter than this go out uncompressed: the frame would not get smaller.
  static constexpr size_t kMinBytes = 96;

  explicit DeflateCache(size_t capacity = 64);
  ~DeflateCache();
  DeflateCache(const DeflateCache&) = delete;
  DeflateCache& operator=(const DeflateCache&) = delete;

  // The compressed form of |m| (an RFC 7692 message body), or null when |m| is better sent as
  // it is (short, or it did not shrink).
  const std::string* Get(const Message& m);

  // Bytes in and out of the compressor so far, and how many messages it compressed.
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }
  uint64_t compressed() const { return compressed_; }

 private:
  struct Entry {
    Message key;          // held, so its address is not reused while it is cached
    std::string deflated;  // "" when the message goes out uncompressed
  };
  bool Compress(const std::string& in, std::string* out);

  z_stream z_{};
  bool z_ok_ = false;
  std::vector<Entry> entries_;
  size_t next_ = 0;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  uint64_t compressed_ = 0;
};

// Compresses |in| as one independent permessage-deflate message (for tests and the cache).
// Returns false when zlib fails.
bool DeflateMessage(z_stream* z, const std::string& in, std::string* out);

}  // namespace sattva::wsd
