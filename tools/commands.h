// The ormdb command's subcommands, one file each: each registers its
// options with CLI11 and runs when parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "engine/database.h"
#include "util/status.h"

namespace ormdb::tools {

// Options every subcommand shares.
struct Global {
  std::string data_dir = "./data";
};

int Fail(const Status& st);
std::unique_ptr<engine::Database> OpenOrExit(const std::string& dir, const engine::DatabaseOptions& options = {});
std::string ReadFileOrExit(const std::string& path, const char* what);

// Each returns the code to exit with; registration hands back the runner.
using Runner = std::function<int()>;
Runner AddServe(CLI::App& app, const Global& g);
Runner AddShell(CLI::App& app, const Global& g);
Runner AddImport(CLI::App& app, const Global& g);
Runner AddExport(CLI::App& app, const Global& g);
Runner AddUser(CLI::App& app, const Global& g);
Runner AddWatch(CLI::App& app, const Global& g);

}  // namespace ormdb::tools
