#include "tools/target.h"

#include "query/parser.h"
#include "schema/migration_plan.h"

namespace ormdb::tools {
namespace {

class LocalTarget final : public Target {
 public:
  explicit LocalTarget(std::string dir) : dir_(std::move(dir)), db_(OpenOrExit(dir_)) {}
  Result<query::QueryResult> Run(const std::string& request, bool explain) override {
    query::ExecuteOptions o;
    o.explain = explain;
    return db_->Execute(request, o);
  }
  Status RunBatch(const std::vector<std::string>& requests) override {
    return db_->ExecuteBatch(requests).status();
  }
  Result<std::string> SchemaText() override {
    auto c = db_->catalog();
    return c->version() == 0 ? std::string("// no schema yet\n")
                             : "// schema version " + std::to_string(c->version()) + "\n" + c->text();
  }
  std::string Describe() const override { return "data directory " + dir_; }
  Result<std::string> Migrate(const std::string& file_name, const std::string& text, bool apply,
                              bool allow_destructive) override {
    if (!apply) {
      ASSIGN_OR_RETURN(schema::MigrationPlan p, db_->PlanMigration(file_name, text));
      return p.steps.empty() ? std::string("nothing to do: the stored schema matches") : schema::FormatPlan(p);
    }
    engine::MigrateOptions o;
    o.allow_destructive = allow_destructive;
    ASSIGN_OR_RETURN(engine::MigrateResult r, db_->Migrate(file_name, text, o));
    std::string out = r.plan.steps.empty() ? "nothing to do: the stored schema matches" : schema::FormatPlan(r.plan);
    for (const std::string& f : r.failed) out += "\nrolled back: " + f;
    return out + "\nschema version " + std::to_string(r.version) + " is current.";
  }
  Status Watch(const std::string& spec, const std::function<void(uint64_t)>& started,
               const PageFn& page) override {
    ASSIGN_OR_RETURN(json::Value v, json::Parse(spec));
    ASSIGN_OR_RETURN(std::unique_ptr<engine::Subscription> sub, db_->Subscribe(v));
    started(sub->token());
    const uint64_t newest = db_->store().last_committed().value();
    while (sub->token() < newest) {
      ASSIGN_OR_RETURN(engine::ChangePage p, sub->Poll());
      if (p.changes > 0 && !page(p.json(), p.changes)) break;
    }
    return Status::OK();
  }

 private:
  std::string dir_;
  std::unique_ptr<engine::Database> db_;
};

class RemoteTarget final : public Target {
 public:
  RemoteTarget(std::unique_ptr<net::Client> c, std::string where) : c_(std::move(c)), where_(std::move(where)) {}
  Result<query::QueryResult> Run(const std::string& request, bool explain) override {
    if (explain) return c_->Explain(request);
    return IsWrite(request) ? c_->Mutate(request) : c_->Fetch(request);
  }
  Status RunBatch(const std::vector<std::string>& requests) override {
    RETURN_IF_ERROR(c_->Begin().status());
    for (size_t i = 0; i < requests.size(); ++i) {
      auto r = IsWrite(requests[i]) ? c_->Mutate(requests[i]) : c_->Fetch(requests[i]);
      if (!r.ok()) {
        (void)c_->Rollback();
        return r.status().Annotate("request " + std::to_string(i));
      }
    }
    return c_->Commit().status();
  }
  Result<std::string> SchemaText() override {
    ASSIGN_OR_RETURN(net::SchemaMessage s, c_->GetSchema());
    return s.version == 0 ? std::string("// no schema yet\n")
                          : "// schema version " + std::to_string(s.version) + "\n" + s.text;
  }
  std::string Describe() const override {
    return "server " + where_ + " (" + c_->welcome().server_version + ")";
  }
  Result<std::string> Migrate(const std::string& file_name, const std::string& text, bool apply,
                              bool allow_destructive) override {
    if (!apply) {
      ASSIGN_OR_RETURN(net::PlanMessage p, c_->MigratePlan(file_name, text));
      return p.text;
    }
    ASSIGN_OR_RETURN(net::MigratedMessage m, c_->MigrateApply(file_name, text, allow_destructive));
    return m.report + "\nschema version " + std::to_string(m.version) + " is current.";
  }
  Status Watch(const std::string& spec, const std::function<void(uint64_t)>& started,
               const PageFn& page) override {
    ASSIGN_OR_RETURN(net::Client::Subscribed sub, c_->Subscribe(spec));
    started(sub.message.token);
    for (;;) {
      ASSIGN_OR_RETURN(net::Reply r, c_->ReceiveFor(sub.id));
      RETURN_IF_ERROR(r.status());
      if (r.type() != net::MessageType::kChanges) {
        return Status::Corruption("the server sent a " + std::string(net::MessageTypeName(r.type())) +
                                  " frame in change stream " + std::to_string(sub.id));
      }
      ASSIGN_OR_RETURN(net::ChangesMessage m, net::DecodeChanges(r.payload));
      if (!page(m.json, m.count)) break;
    }
    // Stopped by the caller: end the stream and wait for its last frame, so
    // nothing of it is left on the connection.
    RETURN_IF_ERROR(c_->Unsubscribe(sub.id).status());
    for (;;) {
      ASSIGN_OR_RETURN(net::Reply r, c_->ReceiveFor(sub.id));
      if (r.type() != net::MessageType::kChanges) return Status::OK();
    }
  }

 private:
  // A request that does not parse goes as a Fetch: the server's error
  // then says what is wrong with it.
  static bool IsWrite(const std::string& request) {
    Result<json::Value> v = json::Parse(request);
    if (!v.ok()) return false;
    std::optional<query::Operation> op = query::OperationOf(*v);
    return op && !query::IsRead(*op);
  }

  std::unique_ptr<net::Client> c_;
  std::string where_;
};

}  // namespace

void ConnectArgs::Register(CLI::App* cmd) {
  cmd->add_option("--connect", connect, "a server's host:port (else the data directory is opened directly)");
  cmd->add_option("--user", user, "user name on the server")->capture_default_str();
  cmd->add_option("--password", password, "password (or set ORMDB_PASSWORD)");
  cmd->add_flag("--compress", compress, "compress large replies with zstd (for slow links)");
}

Result<std::unique_ptr<Target>> Target::Open(const ConnectArgs& c, const Global& g) {
  if (c.connect.empty()) return std::unique_ptr<Target>(new LocalTarget(g.data_dir));
  net::ClientOptions o;
  o.compression = c.compress;
  size_t colon = c.connect.rfind(':');
  o.host = colon == std::string::npos ? c.connect : c.connect.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = c.connect.substr(colon + 1);
    char* end = nullptr;
    unsigned long p = std::strtoul(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p == 0 || p > 65535) {
      return Status::InvalidArgument("--connect " + c.connect + ": the port must be 1..65535");
    }
    o.port = static_cast<uint16_t>(p);
  }
  o.user = c.user;
  o.password = c.password;
  if (o.password.empty()) {
    const char* env = std::getenv("ORMDB_PASSWORD");
    if (env != nullptr) o.password = env;
  }
  o.client_name = "ormdb";
  ASSIGN_OR_RETURN(std::unique_ptr<net::Client> client, net::Client::Connect(o));
  return std::unique_ptr<Target>(new RemoteTarget(std::move(client), c.connect));
}

}  // namespace ormdb::tools
