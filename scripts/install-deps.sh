#!/usr/bin/env bash
# Installs the Debian packages ormDB builds and tests with, and nothing else.
# Safe to run repeatedly: it only calls apt-get when a package is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  liburing-dev libxxhash-dev libzstd-dev libmimalloc-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsodium-dev                  # password hashing (Argon2id) for the server's users
  clang libclang-rt-14-dev       # libFuzzer and the sanitizer runtimes for the fuzz targets
  liblmdb-dev                    # the comparison benchmark only
  libsqlite3-dev                 # the reference of the entity model test; the commit benchmark's peer
  postgresql-15 libpq-dev        # ormdb-bench only: its PostgreSQL peer (a private cluster) and libpq
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
