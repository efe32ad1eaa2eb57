#include "engine/users.h"

#include <sodium.h>

#include <cctype>
#include <cstdlib>

#include "engine/keyspace.h"

namespace ormdb::engine {
namespace {

constexpr char kUserTag = 'U';
constexpr size_t kMaxUserNameBytes = 64;

std::string UserKey(std::string_view name) {
  std::string k{kCatalogSpace, kUserTag};
  k.append(name);
  return k;
}

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxUserNameBytes) {
    return Status::InvalidArgument("user name: 1 to 64 bytes, got " + std::to_string(name.size()));
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return Status::InvalidArgument("user name \"" + std::string(name) +
                                     "\": letters, digits, '_', '-' and '.' only");
    }
  }
  return Status::OK();
}

void InitSodium() {
  // sodium_init is idempotent and thread-safe; it fails only when no
  // random source is available, which nothing here can work around.
  if (sodium_init() < 0) std::abort();
}

}  // namespace

Users::Users(mvcc::Store* store, PasswordCost cost) : store_(store), cost_(cost) {
  InitSodium();
  randombytes_buf(cache_key_, sizeof cache_key_);
}

Status Users::Create(std::string_view name, std::string_view password, bool replace) {
  RETURN_IF_ERROR(CheckName(name));
  if (password.empty()) return Status::InvalidArgument("password of user " + std::string(name) + ": empty");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), cost_.ops, cost_.memory_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::Internal("hashing the password of user " + std::string(name) + ": out of memory");
  }
  auto txn = store_->BeginWrite();
  std::string old;
  Status st = txn->Get(UserKey(name), &old);
  if (st.ok() && !replace) return Status::InvalidArgument("user " + std::string(name) + " exists");
  if (!st.ok() && !st.IsNotFound()) return st;
  if (st.IsNotFound() && replace) return Status::NotFound("user " + std::string(name) + " does not exist");
  RETURN_IF_ERROR(txn->Put(UserKey(name), hash));
  RETURN_IF_ERROR(txn->Commit().status());
  std::lock_guard lock(mu_);
  verified_.erase(std::string(name));
  return Status::OK();
}

Status Users::Drop(std::string_view name) {
  auto txn = store_->BeginWrite();
  std::string old;
  RETURN_IF_ERROR(txn->Get(UserKey(name), &old).Annotate("user " + std::string(name)));
  RETURN_IF_ERROR(txn->Delete(UserKey(name)));
  RETURN_IF_ERROR(txn->Commit().status());
  std::lock_guard lock(mu_);
  verified_.erase(std::string(name));
  return Status::OK();
}

Result<std::vector<std::string>> Users::List() const {
  auto read = store_->BeginRead();
  auto c = read->NewCursor();
  const std::string prefix{kCatalogSpace, kUserTag};
  std::vector<std::string> out;
  for (c->Seek(prefix); c->Valid() && c->key().starts_with(prefix); c->Next()) {
    out.emplace_back(c->key().substr(prefix.size()));
  }
  RETURN_IF_ERROR(c->status());
  return out;
}

Result<bool> Users::Empty() const {
  ASSIGN_OR_RETURN(std::vector<std::string> all, List());
  return all.empty();
}

std::string Users::Digest(std::string_view name, std::string_view password) const {
  unsigned char out[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, cache_key_, sizeof cache_key_, sizeof out);
  const uint64_t n = name.size();
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(&n), sizeof n);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(name.data()), name.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(password.data()), password.size());
  crypto_generichash_final(&st, out, sizeof out);
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

Status Users::Verify(std::string_view name, std::string_view password) {
  const Status denied = Status::NotFound("no user " + std::string(name) + " with that password");
  if (!CheckName(name).ok()) return denied;
  auto read = store_->BeginRead();
  std::string hash;
  Status st = read->Get(UserKey(name), &hash);
  if (st.IsNotFound()) return denied;
  RETURN_IF_ERROR(st);
  const std::string digest = Digest(name, password);
  {
    std::lock_guard lock(mu_);
    auto it = verified_.find(name);
    if (it != verified_.end() && sodium_memcmp(it->second.data(), digest.data(), digest.size()) == 0) {
      return Status::OK();
    }
  }
  hash.push_back('\0');
  if (crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) != 0) return denied;
  std::lock_guard lock(mu_);
  verified_[std::string(name)] = digest;
  return Status::OK();
}

std::string Users::GeneratePassword() {
  InitSodium();
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string out;
  for (int i = 0; i < 24; ++i) out.push_back(kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)]);
  return out;
}

}  // namespace ormdb::engine
