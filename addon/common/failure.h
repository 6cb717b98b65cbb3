// Failure: what a native step reports when it cannot do its work. Every
// failure names the step and, where there is one, the path it was acting on,
// so that users read "mount /proc: Operation not permitted", not "EPERM".
#pragma once

#include <string>

namespace runts {

struct Failure {
  std::string step;    // e.g. "open state file", "pivot_root"
  std::string path;    // the file, mount destination or cgroup it concerns
  int err = 0;         // errno, or 0 when the failure is not a system call's
  std::string detail;  // extra words: what to do about it
  int exitCode = 1;

  // "step path: strerror (detail)"
  std::string message() const;
};

// Fills f from the current errno and returns false, so that callers can write
//   if (mkdir(...) < 0) return sysFail(f, "mkdir", path);
bool sysFail(Failure& f, std::string step, std::string path = "", std::string detail = "");
// A failure that is not a system call's error.
bool plainFail(Failure& f, std::string message, int exitCode = 1);

// s in double quotes, for a message: quotes, backslashes and control
// characters (C0, DEL and C1 in UTF-8) escaped, so that text from outside (an
// id, a path from state.json) can neither start a new log line nor send a
// terminal escape sequence.
std::string quoted(const std::string& s);
// The same escapes without the quotes, for a whole message (as printable()
// in src/log.ts).
std::string printable(const std::string& s);

}  // namespace runts
