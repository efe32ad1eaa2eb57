#!/usr/bin/env bash
# The commands a user types, against a real server: serve with the example
# blog, shell, export, import into a second server, SIGTERM. Usage:
#   scripts/server-smoke.sh path/to/ormdb scratch-dir
set -euo pipefail
ormdb=$1
dir=$2
rm -rf "$dir"
mkdir -p "$dir"
export ORMDB_PASSWORD=smoke-password

start() {  # start DATA LOG [serve options...]: sets $pid and $port
  local data=$1 log=$2
  shift 2
  "$ormdb" --data "$data" serve --port 0 "$@" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\) .*/\1/p' "$log")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  echo "server-smoke: the server did not start"; cat "$log"; exit 1
}
stop() {  # SIGTERM, and the exit status must be 0
  kill -TERM "$pid"
  wait "$pid" || { echo "server-smoke: the server exited with $?"; exit 1; }
}

start "$dir/a" "$dir/a.log" --init-schema examples/blog/schema.prisma --init-data examples/blog/data.jsonl
"$ormdb" shell --connect "127.0.0.1:$port" \
  -c '{"findMany": "User", "orderBy": {"id": "asc"}, "include": {"posts": {"include": {"comments": true}}}}' \
  -c '\explain {"findMany": "Post", "where": {"published": true}, "take": 2}' \
  -c '\schema' >"$dir/shell.out"
grep -q '"Copy-on-write B+trees"' "$dir/shell.out"
"$ormdb" export --connect "127.0.0.1:$port" "$dir/dump"
# A migration over the protocol: graded A, applied online.
{ cat examples/blog/schema.prisma; printf '\nmodel Note {\n  id Int @id @default(autoincrement())\n  body String\n}\n'; } >"$dir/next.prisma"
"$ormdb" migrate plan --connect "127.0.0.1:$port" --schema "$dir/next.prisma" | grep -q "Note"
"$ormdb" migrate apply --connect "127.0.0.1:$port" --schema "$dir/next.prisma" | grep -q "schema version 2 is current"
stop

start "$dir/b" "$dir/b.log" --init-schema examples/blog/schema.prisma
"$ormdb" import --connect "127.0.0.1:$port" "$dir/dump"
"$ormdb" shell --connect "127.0.0.1:$port" -c '{"count": "Comment"}' -c '{"count": "Post", "where": {"tags": {"some": {}}}}' >"$dir/counts.out"
[ "$(cat "$dir/counts.out")" = "$(printf '5\n5')" ] || { echo "server-smoke: imported counts"; cat "$dir/counts.out"; exit 1; }
# A watcher sees the next commit: the new row after the import, with a
# fresh id. Then the same event again from the data directory's history.
"$ormdb" watch --connect "127.0.0.1:$port" --count 1 '{"models": ["User"], "new": true}' >"$dir/watch.out" 2>"$dir/watch.err" &
watcher=$!
for _ in $(seq 1 300); do  # it prints "watching ..." once subscribed
  grep -q "watching" "$dir/watch.err" 2>/dev/null && break
  sleep 0.1
done
"$ormdb" shell --connect "127.0.0.1:$port" -c '{"create": "User", "data": {"email": "new@example.org"}}' >/dev/null
wait "$watcher" || { echo "server-smoke: ormdb watch failed"; exit 1; }
grep -q '"op":"create".*"email":"new@example.org"' "$dir/watch.out" ||
  { echo "server-smoke: watch printed"; cat "$dir/watch.out"; exit 1; }
stop
after=$(sed -n 's/.*"version":\([0-9]*\).*/\1/p' "$dir/watch.out")
"$ormdb" --data "$dir/b" watch --after $((after - 1)) '{"models": ["User"], "new": true}' >"$dir/history.out"
grep -q '"email":"new@example.org"' "$dir/history.out" ||
  { echo "server-smoke: watch on the data directory printed"; cat "$dir/history.out"; exit 1; }
"$ormdb" --data "$dir/b" check
# Options from a config file: a bad value there is refused, naming the option.
printf '[serve]\nmax-in-flight = 0\n' >"$dir/bad.toml"
if "$ormdb" --config "$dir/bad.toml" --data "$dir/b" serve --port 0 >"$dir/bad.log" 2>&1; then
  echo "server-smoke: a config file's max-in-flight = 0 was accepted"; exit 1
fi
grep -q "max-in-flight" "$dir/bad.log"
echo "server-smoke: ok"
