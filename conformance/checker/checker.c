/*
 * The conformance suite's checker: run as a container's process, it prints
 * as JSON what that process sees, so that the harness can compare it with
 * config.json whatever the runtime. Built statically (no libc needed in the
 * rootfs) by binding.gyp as build/Release/runts-checker.
 *
 * Always reported: ids, groups, umask, cwd, hostname, domainname, args, env,
 * rlimits, /proc/self/status (capabilities, no_new_privs, signals, seccomp),
 * oom_score_adj, namespaces, mountinfo, cgroup, open fds, isatty of stdio,
 * the window size of stdin.
 * On request (arguments), for each path:
 *   stat:PATH    type, mode, owner, device numbers (lstat)
 *   read:PATH    whether it can be read, and its first 4 KiB
 *   write:PATH   whether it can be opened for writing
 *   mkdir:PATH   whether a directory can be created there (errno otherwise)
 *   ls:PATH      the entries of a directory
 *   uname        the machine field of uname(2)
 *   mempolicy    the calling thread's NUMA policy mode (get_mempolicy)
 *   ioprio       the I/O priority (ioprio_get)
 *   sched        the scheduling policy and nice value
 *   affinity     the CPU affinity mask
 *   syscall:NR[,ARG...]  the raw syscall NR with up to six integer arguments
 *                (decimal or 0x hex): its return value or errno (seccomp tests)
 *   schedattr    the whole sched_attr (sched_getattr): policy, flags, nice,
 *                priority, runtime, deadline, period
 *   mempolicy-mask  the NUMA policy mode with its flags, and the node mask
 *                as a list
 *   personality  the execution domain (personality(0xffffffff))
 *   dumpable     prctl(PR_GET_DUMPABLE)
 *   peek:PID     what this process can get of another: /proc/PID/environ,
 *                /proc/PID/mem, ptrace attach (errno of each, 0 for success)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static int first = 1;

static void json_string(const char *s, size_t n) {
  putchar('"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') fputs("\\n", stdout);
    else if (c == '\t') fputs("\\t", stdout);
    else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void key(const char *k) {
  if (!first) putchar(',');
  first = 0;
  json_string(k, strlen(k));
  putchar(':');
}

static void str_field(const char *k, const char *v) {
  key(k);
  json_string(v, strlen(v));
}

static void int_field(const char *k, long long v) {
  key(k);
  printf("%lld", v);
}

/* Reads a whole (small) file; returns its length or -1 with errno. */
static long slurp(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t off = 0;
  for (;;) {
    ssize_t n = read(fd, buf + off, size - 1 - off);
    if (n < 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
    if (n == 0) break;
    off += (size_t)n;
    if (off >= size - 1) break;
  }
  close(fd);
  buf[off] = 0;
  return (long)off;
}

static void file_field(const char *k, const char *path) {
  static char buf[1 << 16];
  long n = slurp(path, buf, sizeof buf);
  key(k);
  if (n < 0) fputs("null", stdout);
  else json_string(buf, (size_t)n);
}

static const char *const rlimit_names[] = {
    "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
    "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS", "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};

static void rlimits(void) {
  key("rlimits");
  putchar('{');
  for (int r = 0; r < 16; r++) {
    struct rlimit l;
    if (getrlimit(r, &l) != 0) continue;
    if (r) putchar(',');
    json_string(rlimit_names[r], strlen(rlimit_names[r]));
    printf(":[\"%llu\",\"%llu\"]", (unsigned long long)l.rlim_cur, (unsigned long long)l.rlim_max);
  }
  putchar('}');
}

static void namespaces(void) {
  static const char *const ns[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
  key("namespaces");
  putchar('{');
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    char path[64], link[256];
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (i) putchar(',');
    json_string(ns[i], strlen(ns[i]));
    putchar(':');
    if (n < 0) fputs("null", stdout);
    else json_string(link, (size_t)n);
  }
  putchar('}');
}

static void fds(void) {
  key("fds");
  putchar('[');
  DIR *d = opendir("/proc/self/fd");
  int self = d ? dirfd(d) : -1, n = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == self) continue;
    printf("%s%s", n++ ? "," : "", e->d_name);
  }
  if (d) closedir(d);
  putchar(']');
}

static void strings_field(const char *k, char **list) {
  key(k);
  putchar('[');
  for (int i = 0; list && list[i]; i++) {
    if (i) putchar(',');
    json_string(list[i], strlen(list[i]));
  }
  putchar(']');
}

static const char *type_name(mode_t m) {
  if (S_ISREG(m)) return "file";
  if (S_ISDIR(m)) return "dir";
  if (S_ISLNK(m)) return "symlink";
  if (S_ISCHR(m)) return "char";
  if (S_ISBLK(m)) return "block";
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  return "other";
}

static void request(const char *req) {
  const char *colon = strchr(req, ':');
  const char *path = colon ? colon + 1 : "";
  if (!first) putchar(',');
  first = 0;
  json_string(req, strlen(req));
  putchar(':');
  if (!strncmp(req, "stat:", 5)) {
    struct stat st;
    if (lstat(path, &st) != 0) {
      printf("{\"errno\":%d}", errno);
      return;
    }
    char link[4096] = "";
    if (S_ISLNK(st.st_mode)) {
      ssize_t n = readlink(path, link, sizeof link - 1);
      if (n > 0) link[n] = 0;
    }
    printf("{\"type\":\"%s\",\"mode\":%u,\"uid\":%u,\"gid\":%u,\"major\":%u,\"minor\":%u,\"link\":", type_name(st.st_mode),
           (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid, major(st.st_rdev), minor(st.st_rdev));
    json_string(link, strlen(link));
    putchar('}');
  } else if (!strncmp(req, "read:", 5)) {
    static char buf[4096];
    long n = slurp(path, buf, sizeof buf);
    if (n < 0) printf("{\"errno\":%d}", errno);
    else {
      fputs("{\"content\":", stdout);
      json_string(buf, (size_t)n);
      putchar('}');
    }
  } else if (!strncmp(req, "write:", 6)) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) printf("{\"errno\":%d}", errno);
    else {
      close(fd);
      fputs("{\"ok\":true}", stdout);
    }
  } else if (!strncmp(req, "mkdir:", 6)) {
    if (mkdir(path, 0755) != 0) printf("{\"errno\":%d}", errno);
    else {
      rmdir(path);
      fputs("{\"ok\":true}", stdout);
    }
  } else if (!strncmp(req, "ls:", 3)) {
    DIR *d = opendir(path);
    if (!d) {
      printf("{\"errno\":%d}", errno);
      return;
    }
    fputs("{\"entries\":[", stdout);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      if (n++) putchar(',');
      json_string(e->d_name, strlen(e->d_name));
    }
    closedir(d);
    fputs("]}", stdout);
  } else if (!strcmp(req, "uname")) {
    struct utsname u;
    uname(&u);
    json_string(u.machine, strlen(u.machine));
  } else if (!strcmp(req, "mempolicy")) {
    int mode = -1;
    unsigned long mask[16] = {0};
    long r = syscall(SYS_get_mempolicy, &mode, mask, sizeof mask * 8, 0, 0);
    if (r != 0) printf("{\"errno\":%d}", errno);
    else printf("{\"mode\":%d,\"nodes\":%lu}", mode, mask[0]);
  } else if (!strcmp(req, "ioprio")) {
    long r = syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
    if (r < 0) printf("{\"errno\":%d}", errno);
    else printf("{\"class\":%ld,\"priority\":%ld}", r >> 13, r & 0x1fff);
  } else if (!strcmp(req, "sched")) {
    printf("{\"policy\":%d,\"nice\":%d}", sched_getscheduler(0), getpriority(PRIO_PROCESS, 0));
  } else if (!strcmp(req, "affinity")) {
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    putchar('[');
    for (int c = 0, n = 0; c < CPU_SETSIZE; c++)
      if (CPU_ISSET(c, &set)) printf("%s%d", n++ ? "," : "", c);
    putchar(']');
  } else if (!strncmp(req, "syscall:", 8)) {
    unsigned long long a[7] = {0};
    const char *p = path;
    for (int i = 0; i < 7 && *p; i++) {
      char *end;
      a[i] = strtoull(p, &end, 0);
      p = *end == ',' ? end + 1 : end;
    }
    /* What was printed so far must not be lost if the syscall kills us. */
    fflush(stdout);
    long r = syscall((long)a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    if (r < 0) printf("{\"errno\":%d}", errno);
    else printf("{\"ret\":%ld}", r);
  } else if (!strcmp(req, "schedattr")) {
    struct {
      unsigned size, policy;
      unsigned long long flags;
      int nice;
      unsigned priority;
      unsigned long long runtime, deadline, period;
      unsigned util_min, util_max;
    } a;
    memset(&a, 0, sizeof a);
    if (syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) != 0) printf("{\"errno\":%d}", errno);
    else
      printf("{\"policy\":%u,\"flags\":%llu,\"nice\":%d,\"priority\":%u,\"runtime\":%llu,\"deadline\":%llu,\"period\":%llu}",
             a.policy, a.flags, a.nice, a.priority, a.runtime, a.deadline, a.period);
  } else if (!strcmp(req, "mempolicy-mask")) {
    int mode = -1;
    unsigned long mask[16] = {0};
    if (syscall(SYS_get_mempolicy, &mode, mask, sizeof mask * 8, 0, 0) != 0) {
      printf("{\"errno\":%d}", errno);
      return;
    }
    printf("{\"mode\":%d,\"nodes\":[", mode);
    for (int b = 0, n = 0; b < (int)(sizeof mask * 8); b++)
      if (mask[b / (8 * sizeof(long))] & (1UL << (b % (8 * sizeof(long))))) printf("%s%d", n++ ? "," : "", b);
    fputs("]}", stdout);
  } else if (!strcmp(req, "personality")) {
    printf("%d", personality(0xffffffff));
  } else if (!strcmp(req, "dumpable")) {
    printf("%d", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  } else if (!strncmp(req, "peek:", 5)) {
    char p[64];
    static char buf[4096];
    int pid = atoi(path);
    snprintf(p, sizeof p, "/proc/%d/environ", pid);
    int environ_err = slurp(p, buf, sizeof buf) < 0 ? errno : 0;
    snprintf(p, sizeof p, "/proc/%d/mem", pid);
    int mem_err = 0;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) mem_err = errno;
    else close(fd);
    int ptrace_err = 0;
    if (ptrace(PTRACE_ATTACH, pid, 0, 0) != 0) ptrace_err = errno;
    else {
      waitpid(pid, NULL, __WALL);
      ptrace(PTRACE_DETACH, pid, 0, 0);
    }
    printf("{\"environ\":%d,\"mem\":%d,\"ptrace\":%d}", environ_err, mem_err, ptrace_err);
  } else {
    fputs("null", stdout);
  }
}

int main(int argc, char **argv) {
  putchar('{');
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  int_field("pid", getpid());
  key("uid");
  printf("[%u,%u,%u]", ru, eu, su);
  key("gid");
  printf("[%u,%u,%u]", rg, eg, sg);
  gid_t groups[256];
  int ng = getgroups(256, groups);
  key("groups");
  putchar('[');
  for (int i = 0; i < ng; i++) printf("%s%u", i ? "," : "", groups[i]);
  putchar(']');
  mode_t m = umask(0);
  umask(m);
  int_field("umask", m);
  char cwd[4096];
  str_field("cwd", getcwd(cwd, sizeof cwd) ? cwd : "");
  struct utsname u;
  uname(&u);
  str_field("hostname", u.nodename);
  str_field("domainname", u.domainname);
  strings_field("args", argv);
  strings_field("env", environ);
  rlimits();
  file_field("status", "/proc/self/status");
  file_field("oomScoreAdj", "/proc/self/oom_score_adj");
  namespaces();
  file_field("mountinfo", "/proc/self/mountinfo");
  file_field("cgroup", "/proc/self/cgroup");
  fds();
  key("isatty");
  printf("[%s,%s,%s]", isatty(0) ? "true" : "false", isatty(1) ? "true" : "false", isatty(2) ? "true" : "false");
  struct winsize ws;
  key("winsize");
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) printf("[%u,%u]", ws.ws_row, ws.ws_col);
  else fputs("null", stdout);
  for (int i = 1; i < argc; i++) request(argv[i]);
  puts("}");
  return 0;
}
