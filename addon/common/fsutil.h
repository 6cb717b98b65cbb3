#pragma once

#include <string>

#include "failure.h"

namespace runts {

// The largest file runts reads: 16 MiB, as src/read-bounded.ts
// (MAX_DOCUMENT_BYTES) says why. state.json holds the config's annotations,
// so it gets the same bound as config.json.
constexpr size_t kMaxDocumentBytes = 16u * 1024 * 1024;

// Reads a regular file of at most `limit` bytes. Opened with O_NONBLOCK (a
// FIFO returns at once) and checked with fstat on the fd that is read; a
// device, FIFO, socket or directory fails with EINVAL and a detail that says
// so, a file above the limit with EFBIG. With noFollow, a symlink fails
// (ELOOP): for files only runts writes, such as state.json.
bool readRegularFile(const std::string& path, size_t limit, bool noFollow, std::string& out, Failure& f);
// readRegularFile with kMaxDocumentBytes, following symlinks (cgroup files).
bool readFile(const std::string& path, std::string& out, Failure& f);
// Writes via a temporary file and rename(2), so readers never see a partial file.
bool writeFileAtomic(const std::string& path, const std::string& content, Failure& f);
// Writes content to an existing file (cgroup and proc files).
bool writeExisting(const std::string& path, const std::string& content, Failure& f);
bool pathExists(const std::string& path);
// Removes a state directory: its plain files, then the directory itself.
bool removeFlatDir(const std::string& dir, Failure& f);

}  // namespace runts
