#include "ps-table.h"

#include <algorithm>
#include <cstdlib>

namespace runts {

namespace {

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') i++;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool parsePid(const std::string& text, pid_t& out) {
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos) return false;
  long v = strtol(text.c_str(), nullptr, 10);
  if (v > 0x7fffffff) return false;
  out = static_cast<pid_t>(v);
  return true;
}

}  // namespace

std::string renderPidsJson(const std::vector<pid_t>& pids) {
  std::string out = "[";
  for (size_t i = 0; i < pids.size(); i++) {
    if (i) out += ',';
    out += std::to_string(pids[i]);
  }
  return out + "]\n";
}

bool filterPsTable(const std::string& output, const std::vector<pid_t>& pids, std::string& out, Failure& f) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= output.size()) {
    size_t end = output.find('\n', pos);
    if (end == std::string::npos) end = output.size();
    lines.push_back(output.substr(pos, end - pos));
    pos = end + 1;
  }
  std::vector<std::string> titles = fields(lines[0]);
  auto at = std::find(titles.begin(), titles.end(), "PID");
  if (at == titles.end())
    return plainFail(f, "couldn't find PID field in ps output: its first line is " + quoted(lines[0]) +
                            " (ask ps for a pid column, e.g. `-o pid,comm`)");
  size_t column = static_cast<size_t>(at - titles.begin());
  out = lines[0] + "\n";
  for (size_t i = 1; i < lines.size(); i++) {
    if (lines[i].empty()) continue;
    std::vector<std::string> cols = fields(lines[i]);
    pid_t pid = 0;
    if (column >= cols.size() || !parsePid(cols[column], pid))
      return plainFail(f, "unable to parse pid in ps output line " + quoted(lines[i]) + ": column " +
                              std::to_string(column + 1) + " is not a pid");
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) out += lines[i] + "\n";
  }
  return true;
}

}  // namespace runts
