/*
 * sxtool: the attacker's side of the security regression tests
 * (test/security/). Built statically by the tests (cc -static) and copied into
 * container root filesystems; some commands are also run on the host.
 *
 *   fds                       print this process's open fds ("0 1 2")
 *   open-write PATH           try to open PATH for writing (O_WRONLY, O_RDWR,
 *                             O_WRONLY|O_TRUNC) and to write a byte; prints
 *                             "wronly=<errno|ok> rdwr=... trunc=... write=..."
 *   seals PATH                print the memfd seals of the file at PATH
 *   hunt SECONDS OUT          scan /proc for a process whose exe is a memfd (a
 *                             runts-init entering this pid namespace), attack
 *                             its /proc/<pid>/exe with open-write, write the
 *                             result to OUT and exit; "timeout" after SECONDS
 *   swap DIR A B SECONDS      exchange DIR/A and DIR/B (renameat2
 *                             RENAME_EXCHANGE) in a loop until DIR/stop
 *                             exists or SECONDS pass; prints the count
 *   setcap-inh PATH           give PATH file capabilities: every capability
 *                             inheritable, effective bit set (VFS_CAP v2)
 *   cwd                       print getcwd(2) and what reading ./secret and
 *                             ../../../../secret gives
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static const char *err_name(int e) {
  switch (e) {
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ETXTBSY: return "ETXTBSY";
    case EROFS: return "EROFS";
    case ENOENT: return "ENOENT";
    case EISDIR: return "EISDIR";
    case EBUSY: return "EBUSY";
    case EINVAL: return "EINVAL";
    case ENOTDIR: return "ENOTDIR";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
  }
  static char buf[32];
  snprintf(buf, sizeof buf, "errno%d", e);
  return buf;
}

static void print_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) {
    perror("opendir /proc/self/fd");
    exit(1);
  }
  int self = dirfd(d);
  int fds[1024], n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 1024) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != self) fds[n++] = fd;
  }
  closedir(d);
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (fds[j] < fds[i]) {
        int t = fds[i];
        fds[i] = fds[j];
        fds[j] = t;
      }
  for (int i = 0; i < n; i++) printf("%s%d", i ? " " : "", fds[i]);
  printf("\n");
}

static void try_open(FILE *out, const char *label, const char *path, int flags, int write_byte) {
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) {
    fprintf(out, "%s=%s ", label, err_name(errno));
    return;
  }
  fprintf(out, "%s=ok ", label);
  if (write_byte) {
    ssize_t n = write(fd, "X", 1);
    fprintf(out, "write=%s ", n == 1 ? "ok" : err_name(errno));
  }
  close(fd);
}

static void open_write(FILE *out, const char *path) {
  try_open(out, "wronly", path, O_WRONLY, 1);
  try_open(out, "rdwr", path, O_RDWR, 0);
  try_open(out, "trunc", path, O_WRONLY | O_TRUNC, 0);
  fprintf(out, "\n");
}

static int hunt(int seconds, const char *outPath) {
  time_t end = time(NULL) + seconds;
  pid_t me = getpid();
  while (time(NULL) < end) {
    DIR *d = opendir("/proc");
    if (!d) return 1;
    struct dirent *e;
    while ((e = readdir(d))) {
      pid_t pid = atoi(e->d_name);
      if (pid <= 0 || pid == me) continue;
      char exe[64], link[4096];
      snprintf(exe, sizeof exe, "/proc/%d/exe", pid);
      ssize_t n = readlink(exe, link, sizeof link - 1);
      if (n <= 0) continue;
      link[n] = 0;
      if (strncmp(link, "/memfd:", 7) != 0) continue;
      FILE *out = fopen(outPath, "w");
      if (!out) return 1;
      fprintf(out, "found %s ", link);
      open_write(out, exe);
      fclose(out);
      closedir(d);
      return 0;
    }
    closedir(d);
  }
  FILE *out = fopen(outPath, "w");
  if (out) {
    fprintf(out, "timeout\n");
    fclose(out);
  }
  return 0;
}

static int swap(const char *dir, const char *a, const char *b, int seconds) {
  int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    perror(dir);
    return 1;
  }
  time_t end = time(NULL) + seconds;
  long count = 0;
  struct stat st;
  while (time(NULL) < end) {
    for (int i = 0; i < 1000; i++) {
      if (syscall(SYS_renameat2, dfd, a, dfd, b, RENAME_EXCHANGE) == 0) count++;
    }
    if (fstatat(dfd, "stop", &st, AT_SYMLINK_NOFOLLOW) == 0) break;
  }
  printf("%ld\n", count);
  return 0;
}

static int setcap_inh(const char *path) {
  /* struct vfs_cap_data, revision 2: magic_etc, then {permitted, inheritable} x 2 */
  unsigned int data[5];
  data[0] = 0x02000000u | 0x000001u; /* VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE */
  data[1] = 0;                       /* permitted, low */
  data[2] = 0xffffffffu;             /* inheritable, low */
  data[3] = 0;                       /* permitted, high */
  data[4] = 0x000001ffu;             /* inheritable, high */
  if (setxattr(path, "security.capability", data, sizeof data, 0) < 0) {
    perror("setxattr security.capability");
    return 1;
  }
  return 0;
}

static void show_read(const char *path) {
  char buf[256] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("%s: %s\n", path, err_name(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) printf("%s: read %s\n", path, err_name(errno));
  else printf("%s: %s", path, buf);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: sxtool fds|open-write|seals|hunt|swap|setcap-inh|cwd ...\n");
    return 2;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "fds")) {
    print_fds();
    return 0;
  }
  if (!strcmp(cmd, "open-write") && argc == 3) {
    open_write(stdout, argv[2]);
    return 0;
  }
  if (!strcmp(cmd, "seals") && argc == 3) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      printf("open=%s\n", err_name(errno));
      return 1;
    }
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals < 0) {
      printf("seals=%s\n", err_name(errno));
      return 1;
    }
    printf("seal=%d shrink=%d grow=%d write=%d\n", !!(seals & F_SEAL_SEAL), !!(seals & F_SEAL_SHRINK),
           !!(seals & F_SEAL_GROW), !!(seals & F_SEAL_WRITE));
    return 0;
  }
  if (!strcmp(cmd, "hunt") && argc == 4) return hunt(atoi(argv[2]), argv[3]);
  if (!strcmp(cmd, "swap") && argc == 6) return swap(argv[2], argv[3], argv[4], atoi(argv[5]));
  if (!strcmp(cmd, "setcap-inh") && argc == 3) return setcap_inh(argv[2]);
  if (!strcmp(cmd, "cwd")) {
    char buf[4096];
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    printf("cwd: %s\n", n > 0 ? buf : err_name(errno));
    show_read("secret");
    show_read("../../../../../../../../secret");
    return 0;
  }
  fprintf(stderr, "sxtool: bad command line\n");
  return 2;
}
