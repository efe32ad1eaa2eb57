# graph_bench: ormDB's graph fetches (W1-W4 of BENCH.md) against SQLite's ORM
# strategies, embedded, on one dataset. Included from bench/CMakeLists.txt.
if(NOT TARGET PkgConfig::SQLITE3)
  pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
endif()

add_executable(graph_bench
  ${CMAKE_CURRENT_LIST_DIR}/graph_bench.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_cells.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_dataset.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_ormdb.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_report.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_result.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_sqlite.cc
  ${CMAKE_CURRENT_LIST_DIR}/graph_sqlite_load.cc
  ${CMAKE_CURRENT_LIST_DIR}/commit_machine.cc
)
target_link_libraries(graph_bench PRIVATE ormdb_engine PkgConfig::SQLITE3 Threads::Threads)
