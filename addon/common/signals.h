#pragma once

#include <string>

namespace runts {

// Parses "SIGTERM", "term", "15", "SIGRTMIN+3" or "RTMAX-1" the way runc
// does. Returns the signal number (0 for "0", which only checks that the
// process exists, as kill(2)), or -1 when the text names no signal.
int parseSignal(const std::string& text);

// "SIGTERM" for 15; "SIGRTMIN+3" for real-time signals; "" for unknown.
std::string signalName(int sig);

}  // namespace runts
