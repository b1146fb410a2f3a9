#include "wsd/fanout.h"

namespace sattva::wsd {

Fanout::Fanout(size_t queue_limit) : queue_limit_(queue_limit) {}

SessionId Fanout::Add() {
  SessionId id = next_id_++;
  sessions_.emplace(id, std::make_unique<ClientSession>(queue_limit_));
  return id;
}

void Fanout::Remove(SessionId id) { sessions_.erase(id); }

ClientSession* Fanout::Find(SessionId id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

std::vector<SessionId> Fanout::Ids() const {
  std::vector<SessionId> ids;
  ids.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) ids.push_back(id);
  return ids;
}

void Fanout::Record(SessionId id, ClientSession::Result r, FanoutActions* actions) {
  if (r == ClientSession::Result::kQueued) {
    actions->writable.push_back(id);
  } else if (r == ClientSession::Result::kOverflow) {
    actions->dropped.push_back(id);
  }
}

void Fanout::Broadcast(const WireEventPtr& event, FanoutActions* actions) {
  if (!head_ || event->id > *head_) head_ = event->id;
  for (auto& [id, session] : sessions_) Record(id, session->OnLiveEvent(event), actions);
}

void Fanout::BroadcastSample(const LiveSample& sample, FanoutActions* actions) {
  const Sample kind = sample.type == kStatsType        ? Sample::kStats
                      : sample.type == kStreamTickType ? Sample::kStreamTick
                                                       : Sample::kNone;
  for (auto& [id, session] : sessions_) {
    Record(id, session->SendSample(kind, sample.type, sample.json), actions);
  }
}

void Fanout::StreamReset(const std::optional<StreamId>& head, FanoutActions* actions) {
  head_ = head;
  for (auto& [id, session] : sessions_) Record(id, session->OnStreamReset(), actions);
}

}  // namespace sattva::wsd
