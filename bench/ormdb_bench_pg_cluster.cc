// ormdb-bench's private PostgreSQL cluster and loading the dataset into it.
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "bench/ormdb_bench_pg.h"

namespace ormdb::bench::whole {

namespace {

// A loopback port free right now (the cluster binds it a moment later).
Result<uint16_t> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::FromErrno(errno, "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    int e = errno;
    ::close(fd);
    return Status::FromErrno(e, "bind a loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string Tail(const std::string& path, size_t bytes) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// Guards Start/Stop against the signal thread's Stop.
std::mutex cluster_mu;

}  // namespace

Status RunCommand(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno(errno, "fork");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    ::execvp(cargv[0], cargv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::OK();
  std::string cmd;
  for (const std::string& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return Status::Internal("`" + cmd + "` failed (status " + std::to_string(status) + "):\n" + Tail(log, 2000));
}

Status PgCluster::Start() {
  std::lock_guard lock(cluster_mu);
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ormdb_bench_pg.XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return Status::FromErrno(errno, "mkdtemp " + templ);
  dir_ = templ;
  if (::geteuid() == 0) {
    passwd* pw = ::getpwnam(options_.run_as.c_str());
    if (pw == nullptr) return Status::NotFound("no user " + options_.run_as + " to run PostgreSQL as");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) return Status::FromErrno(errno, "chown " + dir_);
  }
  const std::string log = dir_ + "/commands.log";
  {
    // The log is written by us (root); make it writable by the server user too.
    std::ofstream touch(log);
  }
  ::chmod(log.c_str(), 0666);
  ASSIGN_OR_RETURN(port_, FreePort());
  RETURN_IF_ERROR(PgCommand({options_.bin_dir + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "--auth=trust",
                       "-E", "UTF8", "--locale=C", "--no-sync"}));
  opts_ = "-c port=" + std::to_string(port_) +
                           " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir_ +
                           " -c shared_buffers=" + std::to_string(options_.shared_buffers_mib) + "MB" +
                           " -c jit=off -c max_connections=" + std::to_string(options_.max_connections);
  RETURN_IF_ERROR(PgCommand({options_.bin_dir + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t",
                       "60", "-o", opts_, "start"}));
  started_ = true;
  pg_conn* c = PQconnectdb(ConnInfo().c_str());
  if (PQstatus(c) == CONNECTION_OK) version_ = PQparameterStatus(c, "server_version");
  PQfinish(c);
  return Status::OK();
}

void PgCluster::Stop() {
  std::lock_guard lock(cluster_mu);
  if (started_) {
    std::vector<std::string> argv;
    if (::geteuid() == 0) argv = {"runuser", "-u", options_.run_as, "--"};
    argv.insert(argv.end(), {options_.bin_dir + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"});
    (void)RunCommand(argv, dir_ + "/commands.log");
    started_ = false;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

Status PgCluster::PgCommand(std::vector<std::string> argv) const {
  if (::geteuid() == 0) argv.insert(argv.begin(), {"runuser", "-u", options_.run_as, "--"});
  return RunCommand(argv, dir_ + "/commands.log");
}

Status PgCluster::Restart(const std::function<void()>& while_stopped) {
  std::lock_guard lock(cluster_mu);
  if (!started_) return Status::InvalidArgument("the PostgreSQL cluster is not running");
  started_ = false;
  RETURN_IF_ERROR(PgCommand({options_.bin_dir + "/pg_ctl", "-D", dir_ + "/data", "-m", "fast", "-w", "stop"}));
  while_stopped();
  RETURN_IF_ERROR(PgCommand({options_.bin_dir + "/pg_ctl", "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w",
                             "-t", "60", "-o", opts_, "start"}));
  started_ = true;
  return Status::OK();
}

pid_t PgCluster::PostmasterPid() const {
  if (!started_) return -1;
  std::ifstream f(dir_ + "/data/postmaster.pid");  // its first line is the pid
  long pid = -1;
  if (!(f >> pid)) return -1;
  return static_cast<pid_t>(pid);
}

std::string PgCluster::ConnInfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=postgres";
}

std::string PgCluster::Describe() const {
  return "PostgreSQL " + version_ + " (private cluster on 127.0.0.1, libpq " + std::to_string(PQlibVersion()) +
         "), shared_buffers " + std::to_string(options_.shared_buffers_mib) +
         " MiB, jit off, default durability (fsync on, synchronous_commit on, wal_sync_method default), prepared "
         "statements, text results, one connection per client; Prisma's layout: integer ids, text columns, "
         "DateTime as bigint microseconds, indexes Post(authorId), Post(createdAt), Comment(postId), "
         "Comment(authorId), User(email) unique, _PostToTag(A,B) unique + (B), foreign keys; COPY, VACUUM "
         "ANALYZE, CHECKPOINT after loading";
}

// ------------------------------------------------------------------ loading

namespace {

Status Exec(pg_conn* c, const std::string& sql) {
  pg_result* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string err = ok ? "" : PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) return Status::IOError("postgres: " + sql.substr(0, 200) + ": " + err);
  return Status::OK();
}

// COPY table FROM STDIN of n rows, each written by row(i, &buffer) as
// tab-separated text with a newline (the texts hold no tabs or escapes).
template <typename Row>
Status Copy(pg_conn* c, const std::string& table, std::string_view what, size_t n, const graph::Progress& progress,
            Row row) {
  pg_result* r = PQexec(c, ("COPY " + table + " FROM STDIN").c_str());
  const bool ok = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  if (!ok) return Status::IOError("postgres: COPY " + table + ": " + PQerrorMessage(c));
  std::string buf;
  for (size_t i = 0; i < n; ++i) {
    row(i, &buf);
    if (buf.size() > (1 << 20) || i + 1 == n) {
      if (PQputCopyData(c, buf.data(), static_cast<int>(buf.size())) != 1) {
        return Status::IOError(std::string("postgres: COPY data: ") + PQerrorMessage(c));
      }
      buf.clear();
      if (progress) progress(what, i + 1, n);
    }
  }
  if (PQputCopyEnd(c, nullptr) != 1) return Status::IOError(std::string("postgres: COPY end: ") + PQerrorMessage(c));
  Status st;
  while ((r = PQgetResult(c)) != nullptr) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      st = Status::IOError("postgres: COPY " + table + ": " + PQresultErrorMessage(r));
    }
    PQclear(r);
  }
  return st;
}

}  // namespace

Status LoadPostgres(const std::string& conninfo, const graph::Dataset& d, const graph::Progress& progress) {
  pg_conn* c = PQconnectdb(conninfo.c_str());
  std::unique_ptr<pg_conn, void (*)(pg_conn*)> owner(c, PQfinish);
  if (PQstatus(c) != CONNECTION_OK) return Status::IOError(std::string("postgres: connect: ") + PQerrorMessage(c));
  RETURN_IF_ERROR(Exec(c, R"(
    CREATE TABLE "User" (id integer PRIMARY KEY, email text NOT NULL, name text NOT NULL, status text NOT NULL,
                         bio text NOT NULL, "createdAt" bigint NOT NULL);
    CREATE TABLE "Post" (id integer PRIMARY KEY, title text NOT NULL, body text NOT NULL, views integer NOT NULL,
                         published boolean NOT NULL, "createdAt" bigint NOT NULL, "authorId" integer NOT NULL);
    CREATE TABLE "Comment" (id integer PRIMARY KEY, body text NOT NULL, "createdAt" bigint NOT NULL,
                            "postId" integer NOT NULL, "authorId" integer NOT NULL);
    CREATE TABLE "Tag" (id integer PRIMARY KEY, name text NOT NULL);
    CREATE TABLE "_PostToTag" ("A" integer NOT NULL, "B" integer NOT NULL);
  )"));
  RETURN_IF_ERROR(Copy(c, "\"User\"", "users", d.users.size(), progress, [&](size_t i, std::string* b) {
    const graph::UserRow& u = d.users[i];
    *b += std::to_string(u.id) + '\t' + u.email + '\t' + u.name + '\t' + u.status + '\t' + u.bio + '\t' +
          std::to_string(u.created_at_us) + '\n';
  }));
  RETURN_IF_ERROR(Copy(c, "\"Tag\"", "tags", d.tags.size(), progress, [&](size_t i, std::string* b) {
    *b += std::to_string(d.tags[i].id) + '\t' + d.tags[i].name + '\n';
  }));
  RETURN_IF_ERROR(Copy(c, "\"Post\"", "posts", d.posts.size(), progress, [&](size_t i, std::string* b) {
    const graph::PostRow& p = d.posts[i];
    *b += std::to_string(p.id) + '\t' + p.title + '\t' + p.body + '\t' + std::to_string(p.views) + '\t' +
          (p.published ? "t" : "f") + '\t' + std::to_string(p.created_at_us) + '\t' + std::to_string(p.author_id) +
          '\n';
  }));
  RETURN_IF_ERROR(Copy(c, "\"_PostToTag\"", "post tags", d.post_tags.size(), progress, [&](size_t i, std::string* b) {
    *b += std::to_string(d.post_tags[i].first) + '\t' + std::to_string(d.post_tags[i].second) + '\n';
  }));
  RETURN_IF_ERROR(Copy(c, "\"Comment\"", "comments", d.comments.size(), progress, [&](size_t i, std::string* b) {
    const graph::CommentRow& m = d.comments[i];
    *b += std::to_string(m.id) + '\t' + m.body + '\t' + std::to_string(m.created_at_us) + '\t' +
          std::to_string(m.post_id) + '\t' + std::to_string(m.author_id) + '\n';
  }));
  if (progress) progress("indexes", 0, 1);
  RETURN_IF_ERROR(Exec(c, R"(
    CREATE UNIQUE INDEX "User_email_key" ON "User"(email);
    CREATE INDEX "Post_authorId_idx" ON "Post"("authorId");
    CREATE INDEX "Post_createdAt_idx" ON "Post"("createdAt");
    CREATE INDEX "Comment_postId_idx" ON "Comment"("postId");
    CREATE INDEX "Comment_authorId_idx" ON "Comment"("authorId");
    CREATE UNIQUE INDEX "Tag_name_key" ON "Tag"(name);
    CREATE UNIQUE INDEX "_PostToTag_AB_unique" ON "_PostToTag"("A", "B");
    CREATE INDEX "_PostToTag_B_index" ON "_PostToTag"("B");
    ALTER TABLE "Post" ADD CONSTRAINT "Post_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"(id);
    ALTER TABLE "Comment" ADD CONSTRAINT "Comment_postId_fkey" FOREIGN KEY ("postId") REFERENCES "Post"(id);
    ALTER TABLE "Comment" ADD CONSTRAINT "Comment_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "User"(id);
    ALTER TABLE "_PostToTag" ADD CONSTRAINT "_PostToTag_A_fkey" FOREIGN KEY ("A") REFERENCES "Post"(id);
    ALTER TABLE "_PostToTag" ADD CONSTRAINT "_PostToTag_B_fkey" FOREIGN KEY ("B") REFERENCES "Tag"(id);
  )"));
  RETURN_IF_ERROR(Exec(c, "VACUUM ANALYZE"));
  RETURN_IF_ERROR(Exec(c, "CHECKPOINT"));
  if (progress) progress("indexes", 1, 1);
  return Status::OK();
}

}  // namespace ormdb::bench::whole
