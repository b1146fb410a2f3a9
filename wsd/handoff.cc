#include "wsd/handoff.h"

#include <algorithm>
#include <utility>

namespace sattva::wsd {

EventRing::EventRing(size_t capacity, std::function<void()> wake)
    : wake_(std::move(wake)), slots_(std::max<size_t>(capacity, 1)) {}

bool EventRing::Push(RingItem item) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [this] { return stopped_ || count_ < slots_.size(); });
    if (stopped_) return false;
    slots_[(head_ + count_) % slots_.size()] = std::move(item);
    ++count_;
  }
  if (wake_) wake_();
  return true;
}

void EventRing::Drain(std::vector<RingItem>* out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    out->reserve(out->size() + count_);
    for (; count_ > 0; --count_) {
      out->push_back(std::move(slots_[head_]));
      slots_[head_] = RingItem{};
      head_ = (head_ + 1) % slots_.size();
    }
  }
  not_full_.notify_all();
}

void EventRing::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  not_full_.notify_all();
}

size_t EventRing::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

BackfillExchange::BackfillExchange(std::function<void()> wake) : wake_(std::move(wake)) {}

void BackfillExchange::Request(BackfillRequest request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(std::move(request));
  }
  cv_.notify_one();
}

bool BackfillExchange::NextRequest(BackfillRequest* out) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stopped_ || !requests_.empty(); });
  if (stopped_) return false;
  *out = std::move(requests_.front());
  requests_.pop_front();
  return true;
}

void BackfillExchange::Reply(BackfillReply reply) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    replies_.push_back(std::move(reply));
  }
  if (wake_) wake_();
}

void BackfillExchange::DrainReplies(std::vector<BackfillReply>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : replies_) out->push_back(std::move(r));
  replies_.clear();
}

void BackfillExchange::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

}  // namespace sattva::wsd
