# ormdb-bench (issue 7): whole workloads (BENCH.md W1-W8) against an ormDB
# server over the wire protocol, a private PostgreSQL 15 cluster over libpq
# and SQLite, in one run on one dataset. Included from bench/CMakeLists.txt
# after graph.cmake (it reuses graph_bench's dataset, SQLite strategies and
# answer readers). Needs postgresql-15 (at run time) and libpq-dev.
if(NOT TARGET PkgConfig::SQLITE3)
  pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
endif()
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
find_package(CLI11 CONFIG REQUIRED)

add_executable(ormdb_bench
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_cells.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_meters.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_report.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_pg.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_pg_cluster.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_server.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_sqlite_writes.cc
  ${CMAKE_CURRENT_LIST_DIR}/ormdb_bench_streams.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_cells.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_dataset.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_ormdb.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_result.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_sqlite.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_sqlite_load.cc
  ${CMAKE_CURRENT_LIST_DIR}/commit_machine.cc
)
target_link_libraries(ormdb_bench PRIVATE ormdb_engine ormdb_net_client PkgConfig::SQLITE3 PkgConfig::LIBPQ
                      CLI11::CLI11 Threads::Threads)
