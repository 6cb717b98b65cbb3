// runts: the command engines execute. It runs the hot verbs (state, start,
// kill, delete, pause, resume, ps, events) natively against the container's
// state directory, and hands every other command line to the TypeScript CLI
// under Node. Keeping Node off those paths is what lets an engine's
// create/start/state/delete cycle run as fast as runc's, since each verb is
// a new process.
//
// The native path takes only simple, well-formed command lines; anything else
// (help, --debug, unknown options, ...) goes to Node, whose yargs parser is
// the reference for the CLI and prints the usage messages.

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../common/events.h"
#include "../common/failure.h"
#include "../common/json.h"
#include "../common/ps-table.h"
#include "../common/verbs.h"
#include "exec-native.h"
#include "ps-exec.h"

#ifndef RUNTS_NODE_PATH
#define RUNTS_NODE_PATH "/usr/bin/node"
#endif

extern char** environ;

namespace {

struct Globals {
  std::string root = "/run/runts";
  std::string log;
  std::string logFormat = "text";
};

struct Command {
  Globals globals;
  std::string verb;
  std::vector<std::string> positionals;
  bool all = false;
  bool force = false;
  std::string format = "table";     // ps
  std::vector<std::string> psArgs;  // ps: what follows the id, for ps(1)
  bool stats = false;             // events --stats
  std::string interval = "5s";    // events --interval, runc's default
};

// Reads "--name value" or "--name=value" at argv[i]; advances i.
bool takeValue(int argc, char** argv, int& i, const char* name, std::string& out) {
  size_t len = strlen(name);
  const char* a = argv[i];
  if (strncmp(a, name, len) != 0) return false;
  if (a[len] == '=') {
    out = a + len + 1;
    return true;
  }
  if (a[len] != 0 || i + 1 >= argc) return false;
  out = argv[++i];
  return true;
}

// `ps [--format table|json] ID [ps options]`: options before the id only;
// everything after it is for ps(1), as runc takes it (a first "--" there is
// dropped: ps itself would refuse it).
bool parsePs(int argc, char** argv, int i, Command& cmd) {
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!takeValue(argc, argv, i, "--format", cmd.format) && !takeValue(argc, argv, i, "-f", cmd.format)) return false;
  }
  if (cmd.format != "table" && cmd.format != "json") return false;
  if (i >= argc || argv[i][0] == 0) return false;
  cmd.positionals.push_back(argv[i++]);
  if (i < argc && strcmp(argv[i], "--") == 0) i++;
  for (; i < argc; i++) cmd.psArgs.push_back(argv[i]);
  return true;
}

// Returns false when the command line is not one the native path takes.
bool parseNative(int argc, char** argv, Command& cmd) {
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (takeValue(argc, argv, i, "--root", cmd.globals.root)) continue;
    if (takeValue(argc, argv, i, "--log", cmd.globals.log)) continue;
    if (takeValue(argc, argv, i, "--log-format", cmd.globals.logFormat)) continue;
    // crun's option: these verbs act on what the record says; systemd is refused by Node.
    if (std::string manager; takeValue(argc, argv, i, "--cgroup-manager", manager)) {
      if (manager != "cgroupfs" && manager != "disabled") return false;
      continue;
    }
    return false;
  }
  if (i >= argc) return false;
  cmd.verb = argv[i++];
  if (cmd.verb != "state" && cmd.verb != "start" && cmd.verb != "kill" && cmd.verb != "delete" &&
      cmd.verb != "pause" && cmd.verb != "resume" && cmd.verb != "ps" && cmd.verb != "events")
    return false;
  if (cmd.globals.logFormat != "text" && cmd.globals.logFormat != "json") return false;
  if (cmd.globals.root.empty()) return false;
  if (cmd.verb == "ps") return parsePs(argc, argv, i, cmd);
  for (; i < argc; i++) {
    std::string a = argv[i];
    if (a.empty()) return false;
    if (a[0] != '-') {
      cmd.positionals.push_back(a);
      continue;
    }
    if (cmd.verb == "kill" && (a == "--all" || a == "-a")) cmd.all = true;
    else if (cmd.verb == "events" && a == "--stats") cmd.stats = true;
    else if (cmd.verb == "events" && takeValue(argc, argv, i, "--interval", cmd.interval)) continue;
    else if (cmd.verb == "delete" && (a == "--force" || a == "-f")) cmd.force = true;
    else return false;
  }
  size_t maxArgs = cmd.verb == "kill" ? 2 : 1;
  return !cmd.positionals.empty() && cmd.positionals.size() <= maxArgs;
}

std::string nowRfc3339() {
  time_t t = time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool writeFd(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Engines read errors from --log (containerd: the last JSON line) and from
// stderr (Podman shows it verbatim).
std::string logLine(const Globals& g, const char* level, const std::string& message) {
  std::string line;
  if (g.logFormat == "json") {
    line = std::string("{\"level\":\"") + level + "\",\"msg\":";
    runts::json::writeString(message, line);
    line += ",\"time\":\"" + nowRfc3339() + "\"}\n";
  } else {
    line = "time=\"" + nowRfc3339() + "\" level=" + level + " msg=";
    runts::json::writeString(message, line);
    line += "\n";
  }
  return line;
}

// True when the line reached the --log file.
bool appendToLog(const Globals& g, const std::string& line) {
  if (g.log.empty()) return false;
  int fd = open(g.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = writeFd(fd, line);
  close(fd);
  return ok;
}

void reportError(const Globals& g, const std::string& raw) {
  const std::string message = runts::printable(raw);
  std::string line = logLine(g, "error", message);
  if (!g.log.empty()) {
    appendToLog(g, line);
    writeFd(2, "runts: " + message + "\n");
  } else if (g.logFormat == "json") {
    writeFd(2, line);
  } else {
    writeFd(2, "runts: " + message + "\n");
  }
}

// As src/log.ts: with --log a warning goes to the file only.
void reportWarning(const Globals& g, const std::string& raw) {
  const std::string message = runts::printable(raw);
  std::string line = logLine(g, "warning", message);
  if (appendToLog(g, line)) return;
  writeFd(2, g.logFormat == "json" ? line : "runts: warning: " + message + "\n");
}

// `ps`: the container's pids as JSON, or ps(1)'s table kept to them.
bool psVerb(const runts::VerbOptions& o, const Command& cmd, std::string& out, runts::Failure& f) {
  std::vector<pid_t> pids;
  if (!runts::processesVerb(o, cmd.positionals[0], pids, f)) return false;
  if (cmd.format == "json") {
    out = runts::renderPidsJson(pids);
    return true;
  }
  std::string table;
  std::vector<std::string> args = cmd.psArgs.empty() ? std::vector<std::string>{"-ef"} : cmd.psArgs;
  return runts::runPs(args, table, f) && runts::filterPsTable(table, pids, out, f);
}

// Runs the verb natively. Returns runts::kNeedsNode when the container's
// record says this verb needs the TypeScript side (hooks).
int runNative(const Command& cmd) {
  // As runc, whose logging set-up fails the command: a --log that cannot be
  // opened is an error at once, not lines lost later.
  if (!cmd.globals.log.empty()) {
    int fd = open(cmd.globals.log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      writeFd(2, "runts: open log file " + runts::printable(cmd.globals.log) + ": " + strerror(errno) + "\n");
      return 1;
    }
    close(fd);
  }
  runts::VerbOptions o;
  o.root = cmd.globals.root;
  o.handOffToNode = true;
  const std::string& id = cmd.positionals[0];
  runts::Failure f;
  bool ok = false;
  if (cmd.verb == "state") {
    std::string out;
    ok = runts::stateVerb(o, id, out, f);
    if (ok) writeFd(1, out);
  } else if (cmd.verb == "start") {
    ok = runts::startVerb(o, id, f);
  } else if (cmd.verb == "kill") {
    std::string sig = cmd.positionals.size() > 1 ? cmd.positionals[1] : "SIGTERM";
    ok = runts::killVerb(o, id, sig, cmd.all, f);
  } else if (cmd.verb == "delete") {
    o.warn = [&cmd](const std::string& message) { reportWarning(cmd.globals, message); };
    ok = runts::deleteVerb(o, id, cmd.force, f);
  } else if (cmd.verb == "pause") {
    ok = runts::pauseVerb(o, id, f);
  } else if (cmd.verb == "resume") {
    ok = runts::resumeVerb(o, id, f);
  } else if (cmd.verb == "ps") {
    std::string out;
    ok = psVerb(o, cmd, out, f);
    if (ok) writeFd(1, out);
  } else if (cmd.verb == "events") {
    ok = runts::eventsVerb(
        o, id, cmd.interval, cmd.stats, [](const std::string& line) { return writeFd(1, line); },
        [&cmd](const std::string& message) { reportError(cmd.globals, message); }, f);
  }
  if (ok) return 0;
  if (f.exitCode == runts::kNeedsNode) return runts::kNeedsNode;
  reportError(cmd.globals, f.message());
  return f.exitCode;
}

// The package directory: the launcher is <package>/build/Release/runts. The
// path from /proc/self/exe is canonical, so Node has no ".." to resolve.
std::string packageDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = 0;
  std::string p = buf;
  for (int up = 0; up < 3; up++) {
    size_t slash = p.rfind('/');
    if (slash == std::string::npos) return ".";
    p.resize(slash);
  }
  return p.empty() ? "/" : p;
}

std::string findNode() {
  if (const char* env = getenv("RUNTS_NODE"); env && *env) return env;
  if (access(RUNTS_NODE_PATH, X_OK) == 0) return RUNTS_NODE_PATH;
  if (const char* path = getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      size_t end = p.find(':', start);
      if (end == std::string::npos) end = p.size();
      std::string candidate = p.substr(start, end - start) + "/node";
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
      start = end + 1;
    }
  }
  return "node";
}

// Closes every fd above 2 and points 0-2 at /dev/null.
void dropInheritedFds() {
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
    for (int fd = 3; fd < 1024; fd++) close(fd);  // kernels before 5.9
  }
  int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd <= 2; fd++) {
    if (null < 0) close(fd);
    else if (null != fd) dup2(null, fd);
  }
  if (null > 2) close(null);
}

// A closed fd 0, 1 or 2 is opened on /dev/null, as Node does at its start:
// otherwise the next file opened here (a state record, a lock) would get
// that number, and a message meant for stderr would be written into it.
void keepStdioOpen() {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF) continue;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0 && null != fd) {
      dup2(null, fd);
      close(null);
    }
  }
}

// The first cgroup migration after a quiet moment waits for an RCU grace
// period (~15 ms here): the kernel switches cgroup_threadgroup_rwsem to its
// writer mode. create and run migrate the new container into its cgroups
// ~35 ms from now, once Node has started; a helper that rewrites its own pid
// into its own cgroup (a no-op move) starts that grace period now and keeps
// the writer mode warm meanwhile, so the stall overlaps with Node's start.
void warmCgroupMigration(int argc, char** argv) {
  const char* verb = nullptr;
  for (int i = 1; i < argc && !verb; i++) {
    const char* a = argv[i];
    if (!strcmp(a, "--root") || !strcmp(a, "--log") || !strcmp(a, "--log-format") || !strcmp(a, "--rootless") ||
        !strcmp(a, "--cgroup-manager"))
      i++;
    else if (a[0] != '-') verb = a;
  }
  // exec moves its runts-init into the container's cgroups the same way.
  if (!verb || (strcmp(verb, "create") != 0 && strcmp(verb, "run") != 0 && strcmp(verb, "exec") != 0)) return;
  // This process becomes Node: the helper stops as soon as it is gone.
  pid_t runtime = getpid();
  pid_t first = fork();
  if (first != 0) {
    if (first > 0) waitpid(first, nullptr, 0);
    return;
  }
  // The helper holds none of the caller's fds: an engine that waits for EOF
  // on a stdio pipe (or on a preserved fd) must get it when runts and the
  // container are done, not when the helper is.
  dropInheritedFds();
  // Double fork: the helper is nobody's child to reap once it is done.
  if (fork() != 0) _exit(0);
  char line[512];
  std::string procs;
  FILE* self = fopen("/proc/self/cgroup", "re");
  while (self && procs.empty() && fgets(line, sizeof line, self)) {
    char* first = strchr(line, ':');
    char* second = first ? strchr(first + 1, ':') : nullptr;
    if (!second) continue;
    std::string controllers(first + 1, second);
    std::string path = second + 1;
    while (!path.empty() && path.back() == '\n') path.pop_back();
    if (path == "/") path.clear();
    std::string candidate = controllers.empty() ? "/sys/fs/cgroup" + path + "/cgroup.procs"
                            : controllers.rfind("name=", 0) == 0 ? ""
                            : "/sys/fs/cgroup/" + controllers + path + "/cgroup.procs";
    if (!candidate.empty() && access(candidate.c_str(), W_OK) == 0) procs = candidate;
  }
  if (self) fclose(self);
  if (procs.empty()) _exit(0);
  std::string pid = std::to_string(getpid());
  for (int i = 0; i < 30 && kill(runtime, 0) == 0; i++) {  // ~150 ms at most
    int fd = open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid.data(), pid.size()) < 0) _exit(0);
    close(fd);
    struct timespec ts = {0, 5 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  _exit(0);
}

bool nodeEnvToDrop(const char* entry) {
  // The certificate bundle costs ~70 ms at every Node start and NODE_OPTIONS
  // could load arbitrary code into the runtime: neither belongs in runts.
  return strncmp(entry, "NODE_EXTRA_CA_CERTS=", 20) == 0 || strncmp(entry, "NODE_OPTIONS=", 13) == 0 ||
         strncmp(entry, "RUNTS_CALLER_FDS=", 17) == 0;
}

// "RUNTS_CALLER_FDS=<pid>:3,4": the fds above stdio that the caller left
// open for us (not close-on-exec; the launcher's own all are). Node marks
// every fd it inherits close-on-exec as it starts, so only this record
// tells the addon which of 3 .. 3+N-1 --preserve-fds and LISTEN_FDS may pass
// (addon/node/launch.cc); the pid ties it to this process, which execve
// keeps.
std::string callerFdsEntry() {
  std::string list;
  auto add = [&](int fd) {
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0 && !(flags & FD_CLOEXEC)) list += (list.empty() ? "" : ",") + std::to_string(fd);
  };
  if (DIR* d = opendir("/proc/self/fd")) {
    int own = dirfd(d);
    int count = 0;
    while (struct dirent* e = readdir(d)) {
      int fd = atoi(e->d_name);
      if (fd > 2 && fd != own && count++ < 4096) add(fd);
    }
    closedir(d);
  } else {
    for (int fd = 3; fd < 1024; fd++) add(fd);
  }
  return "RUNTS_CALLER_FDS=" + std::to_string(getpid()) + ":" + list;
}

int execNode(int argc, char** argv) {
  std::string node = findNode();
  std::string script = packageDir() + "/dist/start.cjs";
  std::vector<char*> args;
  args.push_back(const_cast<char*>(node.c_str()));
  args.push_back(const_cast<char*>(script.c_str()));
  for (int i = 1; i < argc; i++) args.push_back(argv[i]);
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e; e++)
    if (!nodeEnvToDrop(*e)) env.push_back(*e);
  std::string callerFds = callerFdsEntry();
  env.push_back(const_cast<char*>(callerFds.c_str()));
  env.push_back(nullptr);
  execve(node.c_str(), args.data(), env.data());
  std::string msg = "runts: cannot run Node (" + node + "): " + strerror(errno) +
                    "; set RUNTS_NODE to the node binary\n";
  writeFd(2, msg);
  return 127;
}

// `exec` in the engines' form, natively (exec-native.h). False: Node runs it.
bool tryNativeExec(int argc, char** argv, int& rc) {
  Globals g;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (takeValue(argc, argv, i, "--root", g.root) || takeValue(argc, argv, i, "--log", g.log) ||
        takeValue(argc, argv, i, "--log-format", g.logFormat))
      continue;
    return false;
  }
  if (i >= argc || strcmp(argv[i], "exec") != 0 || g.root.empty() || (g.logFormat != "text" && g.logFormat != "json") ||
      geteuid() != 0)
    return false;
  runts::launcher::ExecCommand cmd;
  if (!runts::launcher::parseExecArgs(argc, argv, i + 1, cmd)) return false;
  // The launch code reads which fds are the caller's from here, as under
  // Node: of 3 .. 3+N-1 only those pass, never one the launcher opened.
  static std::string callerFds = callerFdsEntry();
  putenv(callerFds.data());
  cmd.root = g.root;
  const char* build = getenv("RUNTS_BUILD_DIR");
  cmd.buildDir = build && *build ? build : packageDir() + "/build/Release";
  runts::Failure f;
  rc = runts::launcher::runExec(cmd, f);
  if (rc == runts::kNeedsNode) return false;
  // Attached, rc may be the process's own exit code: no failure then.
  if (rc != 0 && !f.message().empty()) reportError(g, f.message());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  keepStdioOpen();
  Command cmd;
  const char* native = getenv("RUNTS_NATIVE_VERBS");
  bool nativeAllowed = !(native && strcmp(native, "0") == 0);
  if (nativeAllowed && parseNative(argc, argv, cmd)) {
    int rc = runNative(cmd);
    if (rc != runts::kNeedsNode) return rc;
  }
  if (int rc = 0; nativeAllowed && tryNativeExec(argc, argv, rc)) return rc;
  warmCgroupMigration(argc, argv);
  return execNode(argc, argv);
}
