#include "failure.h"

#include <cerrno>
#include <cstring>

namespace runts {

std::string Failure::message() const {
  std::string m = step;
  if (!path.empty()) m += (m.empty() ? "" : " ") + path;
  if (err != 0) m += (m.empty() ? "" : ": ") + std::string(strerror(err));
  if (!detail.empty()) m += (m.empty() ? "" : ": ") + detail;
  return m;
}

bool sysFail(Failure& f, std::string step, std::string path, std::string detail) {
  f.err = errno;
  f.step = std::move(step);
  f.path = std::move(path);
  f.detail = std::move(detail);
  return false;
}

bool plainFail(Failure& f, std::string message, int exitCode) {
  f.err = 0;
  f.step = std::move(message);
  f.path.clear();
  f.detail.clear();
  f.exitCode = exitCode;
  return false;
}

}  // namespace runts
