#pragma once

#include <string>

#include "failure.h"

namespace runts {

bool readFile(const std::string& path, std::string& out, Failure& f);
// Writes via a temporary file and rename(2), so readers never see a partial file.
bool writeFileAtomic(const std::string& path, const std::string& content, Failure& f);
// Writes content to an existing file (cgroup and proc files).
bool writeExisting(const std::string& path, const std::string& content, Failure& f);
bool pathExists(const std::string& path);
// Removes a state directory: its plain files, then the directory itself.
bool removeFlatDir(const std::string& dir, Failure& f);

}  // namespace runts
