// The database's users: names with salted password hashes, stored in the
// catalog namespace (0x01 'U' name -> hash; docs/record-format.md,
// "Keyspace"). Passwords are hashed with Argon2id (libsodium's
// crypto_pwhash_str: the salt and the cost parameters live in the stored
// string, so a later change of the cost keeps old hashes verifiable).
//
// Verification is deliberately slow (tens of milliseconds); a server that
// sees the same user connect a thousand times (an ORM's connection pool)
// remembers successful verifications as keyed BLAKE2b digests under a key
// drawn at start, so a repeated login costs a hash, not an Argon2 run. The
// memory holds nothing a dump of the data file would not give faster.
#pragma once

#include <map>
#include <vector>
#include <mutex>
#include <string>
#include <string_view>

#include "mvcc/store.h"
#include "util/status.h"

namespace ormdb::engine {

struct PasswordCost {
  unsigned long long ops = 2;             // Argon2id passes
  size_t memory_bytes = 19 * 1024 * 1024; // OWASP's Argon2id baseline (19 MiB, 2 passes)
};

class Users {
 public:
  explicit Users(mvcc::Store* store, PasswordCost cost = {});

  // Creates the user, or with `replace` sets a new password of an existing one.
  Status Create(std::string_view name, std::string_view password, bool replace = false);
  Status Drop(std::string_view name);
  Result<std::vector<std::string>> List() const;
  Result<bool> Empty() const;
  // OK when `name` exists and `password` is its password; otherwise a
  // NotFound that does not say which of the two was wrong.
  Status Verify(std::string_view name, std::string_view password);

  // A random password of 24 letters and digits (about 140 bits).
  static std::string GeneratePassword();

 private:
  std::string Digest(std::string_view name, std::string_view password) const;

  mvcc::Store* store_;
  PasswordCost cost_;
  unsigned char cache_key_[32];
  std::mutex mu_;  // guards verified_
  std::map<std::string, std::string, std::less<>> verified_;  // user -> digest of its last good password
};

}  // namespace ormdb::engine
