#include "wsd/access_watch.h"

#include "common/log.h"
#include "fcgi/api_tokens.h"

namespace sattva::wsd {

std::string RegistryKey(const AccessPrincipal& p) {
  return p.CredentialKey() + "|" + fcgi::RoleName(p.role);
}

void CredentialRegistry::Add(const AccessPrincipal& p) {
  const std::string key = RegistryKey(p);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_use_.find(key);
  if (it != in_use_.end()) {
    ++it->second.second;
    return;
  }
  CredentialInUse c;
  c.registry_key = key;
  c.credential_key = p.CredentialKey();
  c.user_id = p.user_id;
  c.role = p.role;
  c.via = p.via;
  c.session_hash = p.session_hash;
  c.token_id = p.token_id;
  in_use_.emplace(key, std::make_pair(std::move(c), size_t{1}));
}

void CredentialRegistry::Remove(const AccessPrincipal& p) {
  const std::string key = RegistryKey(p);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_use_.find(key);
  if (it != in_use_.end() && --it->second.second == 0) in_use_.erase(it);
}

std::vector<CredentialInUse> CredentialRegistry::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<CredentialInUse> out;
  out.reserve(in_use_.size());
  for (const auto& [key, entry] : in_use_) out.push_back(entry.first);
  return out;
}

size_t CredentialRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_.size();
}

std::vector<Revocation> DecideRevocations(const std::vector<CredentialInUse>& in_use,
                                          const CredentialState& state) {
  std::vector<Revocation> out;
  for (const CredentialInUse& c : in_use) {
    const char* reason = nullptr;
    auto user = state.users.find(c.user_id);
    if (user == state.users.end() || !user->second.active) {
      reason = "user not active";
    } else if (c.via == AccessPrincipal::Via::kSession) {
      auto s = state.session_owner.find(c.session_hash);
      if (s == state.session_owner.end() || s->second != c.user_id) reason = "session ended";
    } else if (state.live_tokens.count(c.token_id) == 0) {
      reason = "token revoked";
    }
    if (reason == nullptr && user->second.role != c.role) reason = "permissions changed";
    if (reason != nullptr) out.push_back(Revocation{c.registry_key, c.credential_key, reason});
  }
  return out;
}

void RevocationQueue::Push(std::vector<Revocation> revocations) {
  if (revocations.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Revocation& r : revocations) pending_.push_back(std::move(r));
  }
  wake_();
}

void RevocationQueue::Drain(std::vector<Revocation>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Revocation& r : pending_) out->push_back(std::move(r));
  pending_.clear();
}

AccessWatcher::AccessWatcher(CredentialRegistry& registry, RevocationQueue& queue,
                             common::Redis& redis, common::Pg& pg, const common::Clock& clock,
                             WatcherOptions options)
    : registry_(registry),
      queue_(queue),
      redis_(redis),
      pg_(pg),
      options_(options),
      sessions_(redis, clock, options.session_idle, options.session_absolute) {}

AccessWatcher::~AccessWatcher() { Stop(); }

void AccessWatcher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AccessWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t AccessWatcher::CheckOnce() {
  const std::vector<CredentialInUse> in_use = registry_.Snapshot();
  if (in_use.empty()) return 0;
  std::vector<std::string> session_hashes;
  std::vector<int64_t> token_ids;
  std::set<int64_t> user_ids;
  for (const CredentialInUse& c : in_use) {
    if (c.via == AccessPrincipal::Via::kSession) {
      session_hashes.push_back(c.session_hash);
    } else {
      token_ids.push_back(c.token_id);
    }
    user_ids.insert(c.user_id);
  }
  CredentialState state;
  if (!session_hashes.empty()) {
    // An open socket is use: renew the idle timer of the sessions that hold one.
    std::vector<int64_t> owners = sessions_.LiveUsers(session_hashes, /*renew=*/true);
    for (size_t i = 0; i < session_hashes.size(); ++i) {
      state.session_owner[session_hashes[i]] = owners[i];
    }
  }
  pg_.Run([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    for (int64_t id : fcgi::TokenStore::LiveAmong(tx, token_ids)) state.live_tokens.insert(id);
    state.users = ReadUsers(tx, std::vector<int64_t>(user_ids.begin(), user_ids.end()));
  });
  std::vector<Revocation> revoked = DecideRevocations(in_use, state);
  const size_t n = revoked.size();
  for (const Revocation& r : revoked) {
    LOG_INFO << "closing WebSocket connections of " << r.registry_key.substr(0, 14)
             << "...: " << r.reason;
  }
  queue_.Push(std::move(revoked));
  return n;
}

void AccessWatcher::Run() {
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, options_.period, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    try {
      CheckOnce();
      if (failing) {
        LOG_INFO << "credential checks work again";
      }
      failing = false;
    } catch (const std::exception& e) {
      // Redis or PostgreSQL down: keep every connection (nothing is known to be revoked) and
      // try again next period.
      if (!failing) {
        LOG_ERROR << "cannot re-check WebSocket credentials: " << e.what();
      }
      failing = true;
    }
    lock.lock();
  }
}

}  // namespace sattva::wsd
