#include "channel.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace runts {

namespace {

constexpr uint32_t kMaxFrame = 64u << 20;

bool writeAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool readAll(int fd, char* p, size_t n, int timeoutMs) {
  while (n > 0) {
    if (timeoutMs >= 0) {
      struct pollfd pf = {fd, POLLIN, 0};
      int r = poll(&pf, 1, timeoutMs);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        errno = ETIMEDOUT;
        return false;
      }
      if (r < 0) return false;
    }
    ssize_t got = read(fd, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) errno = 0;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

}  // namespace

bool sendFrame(int fd, const std::string& payload) {
  uint32_t len = static_cast<uint32_t>(payload.size());
  char header[4] = {static_cast<char>(len & 0xff), static_cast<char>((len >> 8) & 0xff),
                    static_cast<char>((len >> 16) & 0xff), static_cast<char>((len >> 24) & 0xff)};
  return writeAll(fd, header, 4) && writeAll(fd, payload.data(), payload.size());
}

bool recvFrame(int fd, std::string& payload, int timeoutMs) {
  unsigned char header[4];
  if (!readAll(fd, reinterpret_cast<char*>(header), 4, timeoutMs)) return false;
  uint32_t len = header[0] | (header[1] << 8) | (header[2] << 16) | (static_cast<uint32_t>(header[3]) << 24);
  if (len > kMaxFrame) {
    errno = EMSGSIZE;
    return false;
  }
  payload.resize(len);
  return len == 0 || readAll(fd, payload.data(), len, timeoutMs);
}

bool sendMessage(int fd, const json::Value& msg) {
  std::string text;
  json::write(msg, text);
  return sendFrame(fd, text);
}

bool sendSimple(int fd, const char* type) {
  json::Value msg = json::Value::makeObject();
  msg.set("type", json::Value::makeString(type));
  return sendMessage(fd, msg);
}

bool recvMessage(int fd, json::Value& msg, int timeoutMs) {
  std::string text, err;
  if (!recvFrame(fd, text, timeoutMs)) return false;
  if (!json::parse(text, msg, err)) {
    errno = EPROTO;
    return false;
  }
  return true;
}

json::Value failureMessage(const Failure& f) {
  json::Value msg = json::Value::makeObject();
  msg.set("type", json::Value::makeString("error"));
  msg.set("step", json::Value::makeString(f.step));
  msg.set("path", json::Value::makeString(f.path));
  msg.set("errno", json::Value::makeNumber(f.err));
  msg.set("detail", json::Value::makeString(f.detail));
  // 126/127 for a program that cannot be run: the code create and run exit
  // with, which would otherwise be lost on the way to the runtime.
  msg.set("exitCode", json::Value::makeNumber(f.exitCode));
  return msg;
}

Failure failureFromMessage(const json::Value& msg) {
  Failure f;
  f.step = msg.str("step");
  f.path = msg.str("path");
  f.err = static_cast<int>(msg.i64("errno"));
  f.detail = msg.str("detail");
  int code = static_cast<int>(msg.i64("exitCode"));
  f.exitCode = code > 0 && code < 256 ? code : 1;
  return f;
}

}  // namespace runts
