#include "lsm.h"

#include "procfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../common/unique-fd.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace runts::init {

namespace {

constexpr ino_t kProcRootIno = 1;

// "<pid>/task/<tid>" of this thread in the procfs behind procRoot: the
// thread-self link is read, never followed.
bool threadDir(int procRoot, std::string& out, Failure& f) {
  char buf[64];
  ssize_t n = readlinkat(procRoot, "thread-self", buf, sizeof buf - 1);
  if (n <= 0) return sysFail(f, "read /proc/thread-self", "", "this process is not visible in the runtime's /proc");
  buf[n] = 0;
  out = buf;
  for (char c : out)
    if (!(c == '/' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
      errno = EINVAL;
      return sysFail(f, "read /proc/thread-self", "", "unexpected link \"" + out + "\"");
    }
  return true;
}

struct AttrWrite {
  const char* lsm;   // the per-LSM directory (attr/apparmor/), or nullptr
  const char* name;  // "exec", "keycreate"
  std::string value;
  std::string step;      // e.g. "set the AppArmor profile \"x\" for exec"
  std::string errHints[3];  // for ENOENT, EINVAL, EACCES/EPERM
};

bool writeAttr(int procRoot, bool forceWalk, const AttrWrite& w, Failure& f) {
  std::string thread;
  if (!threadDir(procRoot, thread, f)) return false;
  std::string shown = std::string("/proc/thread-self/attr/") + (w.lsm ? std::string(w.lsm) + "/" : "") + w.name;
  int fd = -1;
  if (w.lsm) fd = openInProcfs(procRoot, thread + "/attr/" + w.lsm + "/" + w.name, O_WRONLY, forceWalk);
  // Kernels before 5.1 have only the shared attr/<name>.
  if (!w.lsm || (fd < 0 && errno == ENOENT)) {
    fd = openInProcfs(procRoot, thread + "/attr/" + w.name, O_WRONLY, forceWalk);
    if (w.lsm && fd >= 0) shown = std::string("/proc/thread-self/attr/") + w.name;
  }
  if (fd < 0) return sysFail(f, w.step + ": open", shown, errno == EXDEV ? "the path leaves the runtime's procfs" : "");
  Fd attr(fd);
  ssize_t n;
  do {
    n = write(attr.fd, w.value.data(), w.value.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(w.value.size())) return true;
  if (n >= 0) errno = EIO;
  const std::string& hint = errno == ENOENT   ? w.errHints[0]
                            : errno == EINVAL ? w.errHints[1]
                            : (errno == EACCES || errno == EPERM) ? w.errHints[2]
                                                                  : std::string();
  return sysFail(f, w.step + ": write", shown, hint);
}

}  // namespace

bool openProcRootIfNeeded(const Plan& plan, int& procRoot, Failure& f) {
  procRoot = -1;
  if (!plan.process.lsm.any()) return true;
  Fd fd(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (fd.fd < 0) return sysFail(f, "open", "/proc", "the LSM labels are written through the runtime's /proc");
  struct stat st;
  if (fstat(fd.fd, &st) < 0) return sysFail(f, "stat", "/proc");
  if (!onProcfs(fd.fd) || st.st_ino != kProcRootIno) {
    errno = EXDEV;
    return sysFail(f, "check", "/proc", "the runtime's /proc is not the root of a procfs");
  }
  procRoot = fd.release();
  return true;
}

bool applyKeyringLabel(const Plan& plan, int procRoot, Failure& f) {
  const ProcessLsm& lsm = plan.process.lsm;
  if (lsm.selinuxLabel.empty() || !plan.process.newKeyring) return true;
  AttrWrite w = {nullptr, "keycreate", lsm.selinuxLabel, "set the SELinux label \"" + lsm.selinuxLabel + "\" of the session keyring",
                 {"", "SELinux refused the label (process.selinuxLabel)", "the policy does not allow it (process.selinuxLabel)"}};
  return writeAttr(procRoot, plan.forceSafeWalk, w, f);
}

bool labelMountRoots(const Plan& plan, const RootDir& root, Failure& f) {
  const MountLabel& m = plan.mountLabel;
  for (const auto& dest : m.xattrDestinations) {
    Fd fd(root.resolve(dest));
    if (fd.fd < 0) return sysFail(f, "resolve", dest);
    // An O_PATH fd takes no fsetxattr; its /proc/self/fd name does.
    std::string path = RootDir::fdPath(fd.fd);
    if (setxattr(path.c_str(), "security.selinux", m.label.data(), m.label.size(), 0) < 0)
      return sysFail(f, "set the SELinux label \"" + m.label + "\" of", dest, "linux.mountLabel");
  }
  return true;
}

bool applyExecLabels(const Plan& plan, int procRoot, Failure& f) {
  const ProcessLsm& lsm = plan.process.lsm;
  if (!lsm.apparmorProfile.empty()) {
    AttrWrite w = {"apparmor", "exec", "exec " + lsm.apparmorProfile,
                   "set the AppArmor profile \"" + lsm.apparmorProfile + "\" for exec",
                   {"the profile is not loaded: load it with apparmor_parser (process.apparmorProfile)",
                    "AppArmor is not active on this kernel (process.apparmorProfile)",
                    "the runtime's own AppArmor confinement does not allow this change (process.apparmorProfile)"}};
    if (!writeAttr(procRoot, plan.forceSafeWalk, w, f)) return false;
  }
  if (!lsm.selinuxLabel.empty()) {
    AttrWrite w = {nullptr, "exec", lsm.selinuxLabel, "set the SELinux label \"" + lsm.selinuxLabel + "\" for exec",
                   {"", "SELinux refused the label: is it valid in the loaded policy? (process.selinuxLabel)",
                    "the policy does not allow this transition (process.selinuxLabel)"}};
    if (!writeAttr(procRoot, plan.forceSafeWalk, w, f)) return false;
  }
  return true;
}

}  // namespace runts::init
