#include "wsd/client_session.h"

#include <algorithm>

#include "wsd/messages.h"

namespace sattva::wsd {

ClientSession::ClientSession(size_t queue_limit) : queue_limit_(std::max<size_t>(queue_limit, 1)) {}

ClientSession::Result ClientSession::Push(Message message, bool event) {
  if (close_) return Result::kNothing;
  size_t& count = event ? queued_events_ : queued_controls_;
  if (count >= (event ? queue_limit_ : kControlHeadroom)) {
    RequestClose(kClosePolicyViolation, "client too slow: outbound queue overflow");
    return Result::kOverflow;
  }
  queue_.push_back(Queued{std::move(message), event});
  ++count;
  return Result::kQueued;
}

ClientSession::Result ClientSession::SendControl(Message message) {
  return Push(std::move(message), /*event=*/false);
}

ClientSession::Result ClientSession::SendControl(std::string message) {
  return SendControl(std::make_shared<const std::string>(std::move(message)));
}

bool ClientSession::Seen(const StreamId& id) const {
  return cursor_ && id >= *seen_from_ && id <= *cursor_;
}

ClientSession::Result ClientSession::Deliver(const WireEventPtr& event) {
  if (!cursor_) {
    seen_from_ = event->id;
    cursor_ = event->id;
  } else {
    seen_from_ = std::min(*seen_from_, event->id);
    cursor_ = std::max(*cursor_, event->id);
  }
  if (!subscription_.Matches(event->type)) return Result::kNothing;
  return Push(redacted_ && event->redacted ? event->redacted : event->json, /*event=*/true);
}

ClientSession::Result ClientSession::OnLiveEvent(const WireEventPtr& event) {
  if (close_) return Result::kNothing;
  if (resuming_) {
    held_.push_back(event);
    if (held_.size() > queue_limit_) {
      held_.pop_front();
      held_truncated_ = true;
    }
    return Result::kNothing;
  }
  if (cursor_ && event->id <= *cursor_) return Result::kNothing;  // duplicate
  return Deliver(event);
}

bool ClientSession::BeginResume(uint64_t* generation) {
  if (resuming_ || close_) return false;
  resuming_ = true;
  held_.clear();
  held_truncated_ = false;
  *generation = ++resume_generation_;
  return true;
}

ClientSession::Result ClientSession::OnBackfill(uint64_t generation, const Backfill& backfill) {
  if (!resuming_ || generation != resume_generation_ || close_) return Result::kNothing;
  resuming_ = false;
  if (backfill.snapshot) {
    // The client replaces its state with the snapshot, which may be older than events it was
    // sent live (snapshots are shared for a moment): it needs every event after the snapshot's
    // id again, whatever it saw before.
    seen_from_.reset();
    cursor_.reset();
  }

  // Stored events, then held live ones, each new to the client and strictly increasing.
  std::vector<WireEventPtr> merged;
  auto take = [&](const WireEventPtr& e) {
    if (backfill.lower && e->id <= *backfill.lower) return;
    if (Seen(e->id)) return;
    if (!merged.empty() && e->id <= merged.back()->id) return;
    merged.push_back(e);
  };
  for (const WireEventPtr& e : backfill.events) take(e);
  for (const WireEventPtr& e : held_) take(e);
  held_.clear();

  bool resync = backfill.resync || held_truncated_;
  held_truncated_ = false;
  if (merged.size() > queue_limit_) {
    merged.erase(merged.begin(), merged.end() - static_cast<std::ptrdiff_t>(queue_limit_));
    resync = true;
  }

  Result result = Result::kNothing;
  auto note = [&result](Result r) {
    if (r == Result::kOverflow || (r == Result::kQueued && result == Result::kNothing)) {
      result = r;
    }
  };
  // A snapshot goes first: the merged events are the ones after its last_event_id.
  if (backfill.snapshot) {
    note(SendControl(redacted_ && backfill.snapshot_redacted ? backfill.snapshot_redacted
                                                             : backfill.snapshot));
  }
  if (resync) note(SendControl(BuildResyncRequired()));
  for (const WireEventPtr& e : merged) {
    note(Deliver(e));
    if (close_) return Result::kOverflow;
  }
  if (backfill.lower) {
    // The client had everything up to its id: from now on it has seen every event so far.
    StreamId upto = *backfill.lower;
    if (cursor_) upto = std::max(upto, *cursor_);
    seen_from_ = StreamId{0, 0};
    cursor_ = upto;
  }
  return result;
}

ClientSession::Result ClientSession::OnStreamReset() {
  if (close_) return Result::kNothing;
  seen_from_.reset();
  cursor_.reset();
  if (resuming_) {
    resuming_ = false;
    ++resume_generation_;  // the pending backfill is for the old stream
    held_.clear();
    held_truncated_ = false;
  }
  return SendControl(BuildResyncRequired());
}

ClientSession::Result ClientSession::SendSample(Sample kind, const std::string& type,
                                                Message message) {
  // A sample during a resume or snapshot would come before the events it follows; the next
  // one comes soon enough.
  if (close_ || resuming_ || kind == Sample::kNone) return Result::kNothing;
  if (!subscription_.Matches(type)) return Result::kNothing;
  const unsigned bit = 1u << static_cast<unsigned>(kind);
  if (queued_samples_ & bit) {
    // The client has not been sent the previous one: it is replaced, not queued behind.
    for (Queued& q : queue_) {
      if (q.sample == kind) {
        q.message = std::move(message);
        return Result::kNothing;
      }
    }
  }
  queue_.push_back(Queued{std::move(message), false, kind});
  queued_samples_ |= bit;
  return Result::kQueued;
}

Message ClientSession::PopOutbound() {
  if (queue_.empty()) return nullptr;
  Queued q = std::move(queue_.front());
  queue_.pop_front();
  if (q.sample != Sample::kNone) {
    queued_samples_ &= ~(1u << static_cast<unsigned>(q.sample));
  } else {
    --(q.event ? queued_events_ : queued_controls_);
  }
  return std::move(q.message);
}

void ClientSession::RequestClose(int code, const std::string& reason) {
  if (close_) return;
  close_ = CloseRequest{code, reason};
  queue_.clear();
  queued_events_ = 0;
  queued_controls_ = 0;
  queued_samples_ = 0;
}

}  // namespace sattva::wsd
