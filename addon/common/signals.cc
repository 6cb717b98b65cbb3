#include "signals.h"

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace runts {

namespace {

struct NamedSignal {
  const char* name;
  int number;
};

// Linux x86-64 numbering; aliases come after the canonical name.
constexpr NamedSignal kSignals[] = {
    {"HUP", 1},     {"INT", 2},      {"QUIT", 3},  {"ILL", 4},      {"TRAP", 5},   {"ABRT", 6},
    {"IOT", 6},     {"BUS", 7},      {"FPE", 8},   {"KILL", 9},     {"USR1", 10},  {"SEGV", 11},
    {"USR2", 12},   {"PIPE", 13},    {"ALRM", 14}, {"TERM", 15},    {"STKFLT", 16}, {"CHLD", 17},
    {"CLD", 17},    {"CONT", 18},    {"STOP", 19}, {"TSTP", 20},    {"TTIN", 21},  {"TTOU", 22},
    {"URG", 23},    {"XCPU", 24},    {"XFSZ", 25}, {"VTALRM", 26},  {"PROF", 27},  {"WINCH", 28},
    {"IO", 29},     {"POLL", 29},    {"PWR", 30},  {"SYS", 31},
};

// glibc reserves 32 and 33 for itself; user-visible SIGRTMIN is 34.
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

bool parseUint(const std::string& s, int& out) {
  if (s.empty() || s.size() > 3) return false;
  for (char c : s)
    if (!isdigit(static_cast<unsigned char>(c))) return false;
  out = atoi(s.c_str());
  return true;
}

}  // namespace

int parseSignal(const std::string& text) {
  int n = 0;
  // 0 checks that the process exists (`kill ID 0`: engines' liveness probe).
  if (parseUint(text, n)) return n >= 0 && n <= kRtMax ? n : -1;
  std::string up;
  for (char c : text) up += static_cast<char>(toupper(static_cast<unsigned char>(c)));
  if (up.rfind("SIG", 0) == 0) up = up.substr(3);
  for (const auto& s : kSignals)
    if (up == s.name) return s.number;
  auto rt = [&](const char* prefix, int base, int sign) -> int {
    size_t len = strlen(prefix);
    if (up.compare(0, len, prefix) != 0) return 0;
    if (up.size() == len) return base;
    char op = up[len];
    int off = 0;
    if ((op != '+' && op != '-') || !parseUint(up.substr(len + 1), off)) return 0;
    if ((op == '+') != (sign > 0)) return 0;
    int v = base + sign * off;
    return v >= kRtMin && v <= kRtMax ? v : 0;
  };
  if (int v = rt("RTMIN", kRtMin, +1)) return v;
  if (int v = rt("RTMAX", kRtMax, -1)) return v;
  return -1;
}

std::string signalName(int sig) {
  for (const auto& s : kSignals)
    if (s.number == sig) return std::string("SIG") + s.name;
  if (sig == kRtMin) return "SIGRTMIN";
  if (sig > kRtMin && sig <= kRtMax) return "SIGRTMIN+" + std::to_string(sig - kRtMin);
  return "";
}

}  // namespace runts
