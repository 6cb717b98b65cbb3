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

namespace {

std::string escapeControls(const std::string& s, bool quotes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    unsigned code = c;
    // U+0080..U+009F (C1 controls) are 0xC2 0x80..0x9F in UTF-8.
    bool c1 = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
              static_cast<unsigned char>(s[i + 1]) <= 0x9F;
    if (c1) code = static_cast<unsigned char>(s[++i]);
    if (quotes && (code == '"' || code == '\\')) {
      out += '\\';
      out += static_cast<char>(code);
    } else if (code == '\n') {
      out += "\\n";
    } else if (code == '\t') {
      out += "\\t";
    } else if (code < 0x20 || code == 0x7F || c1) {
      out += "\\u00";
      out += kHex[code >> 4];
      out += kHex[code & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string quoted(const std::string& s) { return "\"" + escapeControls(s, true) + "\""; }

std::string printable(const std::string& s) { return escapeControls(s, false); }

}  // namespace runts
