# commit_bench: durable commit throughput and latency of ormDB's store against
# SQLite (WAL, synchronous=FULL) and LMDB (sync on), and ormDB's recovery time.
# Included from bench/CMakeLists.txt.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
if(NOT TARGET PkgConfig::LMDB)
  pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
endif()

add_executable(commit_bench
  ${CMAKE_CURRENT_LIST_DIR}/commit_bench.cc
  ${CMAKE_CURRENT_LIST_DIR}/commit_engines.cc
  ${CMAKE_CURRENT_LIST_DIR}/commit_machine.cc
  ${CMAKE_CURRENT_LIST_DIR}/commit_recovery.cc
)
target_link_libraries(commit_bench PRIVATE ormdb_mvcc PkgConfig::SQLITE3 PkgConfig::LMDB Threads::Threads)
