# ormDB: the few obvious targets over CMake (DuckDB's habit).
#   make          release build in build/release
#   make debug    debug build in build/debug
#   make test     installs what is missing, builds with ASan+UBSan, runs every
#                 test through ctest, the concurrency tests under TSan, the
#                 fuzzers briefly, the model tests at full size and the benchmark smoke runs
#   make tsan     the concurrency tests under ThreadSanitizer
#   make run      release build, then the server on 127.0.0.1:7600 with the data directory
#                 ./data (the example blog loaded at the first start)
#   make bench    release build, then the benchmarks: the tree against LMDB,
#                 durable commits against SQLite and LMDB, graph fetches against SQLite
#   make fuzz     builds the libFuzzer targets with clang and runs each briefly

JOBS ?= $(shell nproc)
DATA ?= ./data
FUZZ_SECONDS ?= 20
CMAKE_COMMON = -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON

.PHONY: all release debug asan tsan test run bench fuzz deps clean format

all: release

deps:
	@./scripts/install-deps.sh

build/release/build.ninja: | deps
	cmake -S . -B build/release $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release
build/debug/build.ninja: | deps
	cmake -S . -B build/debug $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DORMDB_BENCH=OFF
build/asan/build.ninja: | deps
	cmake -S . -B build/asan $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DORMDB_SANITIZE=ON -DORMDB_BENCH=OFF
build/tsan/build.ninja: | deps
	cmake -S . -B build/tsan $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORMDB_TSAN=ON -DORMDB_BENCH=OFF
build/fuzz/build.ninja: | deps
	CC=clang CXX=clang++ cmake -S . -B build/fuzz $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORMDB_FUZZ=ON

release: deps build/release/build.ninja
	ninja -C build/release -j $(JOBS)

debug: deps build/debug/build.ninja
	ninja -C build/debug -j $(JOBS)

asan: deps build/asan/build.ninja
	ninja -C build/asan -j $(JOBS)

# The concurrency tests again under ThreadSanitizer.
TSAN_TESTS = store_test snapshot_test wal_test migrate_test server_test session_test changes_test subscribe_test
tsan: deps build/tsan/build.ninja
	ninja -C build/tsan -j $(JOBS) $(addprefix tests/,$(TSAN_TESTS))
	for t in $(TSAN_TESTS); do TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build/tsan/tests/$$t || exit 1; done
	# Checkpoints that run while a writer publishes (the rest of this binary is single-threaded).
	ninja -C build/tsan -j $(JOBS) tests/btree_model_test
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build/tsan/tests/btree_model_test --gtest_filter='BtreeCheckpointTest.*'

# ASan+UBSan runs the model tests at a fraction of their size (they are slow
# under the sanitizers); the release build then runs them at full size.
MODEL_SCALE_ASAN ?= 1
MODEL_SCALE_RELEASE ?= 2
test: asan
	cd build/asan && ORMDB_TEST_SCALE=$(MODEL_SCALE_ASAN) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)
	$(MAKE) tsan
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) release
	ORMDB_TEST_SCALE=$(MODEL_SCALE_RELEASE) ./build/release/tests/btree_model_test
	./build/release/bench/btree_bench --smoke
	./build/release/bench/commit_bench --smoke
	./build/release/bench/graph_bench --smoke --force
	./build/release/bench/ormdb_bench --quick
	rm -rf build/cli-smoke
	./build/release/tools/ormdb --data build/cli-smoke migrate apply --schema tests/data/schemas/blog.prisma --yes
	./build/release/tools/ormdb --data build/cli-smoke migrate plan --schema tests/data/schemas/blog.prisma
	./build/release/tools/ormdb --data build/cli-smoke query '{"create":"User","data":{"email":"a@x.org","posts":{"create":{"title":"t","slug":"s"}}}}'
	./build/release/tools/ormdb --data build/cli-smoke query --explain '{"findMany":"User","include":{"posts":{"include":{"comments":true}}}}'
	./build/release/tools/ormdb --data build/cli-smoke info
	./build/release/tools/ormdb --data build/cli-smoke check
	./scripts/server-smoke.sh ./build/release/tools/ormdb build/server-smoke

fuzz: deps build/fuzz/build.ninja
	ninja -C build/fuzz -j $(JOBS)
	./scripts/run-fuzzers.sh build/fuzz/fuzz $(FUZZ_SECONDS)

bench: release
	./build/release/bench/btree_bench
	./build/release/bench/commit_bench
	./build/release/bench/graph_bench

run: release
	./build/release/tools/ormdb --data $(DATA) serve --init-schema examples/blog/schema.prisma --init-data examples/blog/data.jsonl

clean:
	rm -rf build
