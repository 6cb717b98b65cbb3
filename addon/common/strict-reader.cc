#include "strict-reader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace runts::json {

ObjectReader::ObjectReader(const Value& v, std::string what, std::string path, Failure& f)
    : v_(v), what_(std::move(what)), path_(std::move(path)), f_(f), taken_(v.members.size(), false) {
  if (!v.isObject()) {
    plainFail(f_, what_ + ": " + (path_.empty() ? std::string("the document") : path_) + " must be an object");
    ok_ = false;
  }
}

std::string ObjectReader::pathOf(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

std::string ObjectReader::itemPath(const std::string& arrayPath, size_t i) {
  return arrayPath + "[" + std::to_string(i) + "]";
}

bool ObjectReader::fail(const char* key, const std::string& problem) {
  if (ok_) plainFail(f_, what_ + ": field " + pathOf(key) + " " + problem);
  ok_ = false;
  return false;
}

const Value* ObjectReader::take(const char* key) {
  if (!ok_) return nullptr;
  for (size_t i = 0; i < v_.members.size(); i++) {
    if (v_.members[i].first == key) {
      taken_[i] = true;
      return &v_.members[i].second;
    }
  }
  fail(key, "is missing");
  return nullptr;
}

bool ObjectReader::str(const char* key, std::string& out) {
  const Value* v = take(key);
  if (!v) return false;
  if (!v->isString()) return fail(key, "must be a string");
  out = v->text;
  return true;
}

bool ObjectReader::i64(const char* key, int64_t& out) {
  const Value* v = take(key);
  return v && toInt(key, v, out);
}

bool ObjectReader::toInt(const char* key, const Value* vp, int64_t& out) {
  const Value* v = vp;
  if (!v->isNumber()) return fail(key, "must be an integer");
  errno = 0;
  char* end = nullptr;
  long long n = strtoll(v->text.c_str(), &end, 10);
  if (errno || end == v->text.c_str() || *end) return fail(key, "must be an integer that fits 64 bits");
  out = n;
  return true;
}

bool ObjectReader::u64String(const char* key, uint64_t& out) {
  const Value* v = take(key);
  if (!v) return false;
  const std::string& t = v->text;
  if (!v->isString() || t.empty() || t[0] < '0' || t[0] > '9') return fail(key, "must be a decimal string");
  errno = 0;
  char* end = nullptr;
  unsigned long long n = strtoull(t.c_str(), &end, 10);
  if (errno || *end) return fail(key, "must be a decimal string that fits 64 bits");
  out = n;
  return true;
}

bool ObjectReader::boolean(const char* key, bool& out) {
  const Value* v = take(key);
  if (!v) return false;
  if (v->type != Type::Bool) return fail(key, "must be true or false");
  out = v->boolean;
  return true;
}

bool ObjectReader::strings(const char* key, std::vector<std::string>& out) {
  const Value* v = take(key);
  if (!v) return false;
  if (!v->isArray()) return fail(key, "must be an array of strings");
  out.clear();
  for (size_t i = 0; i < v->items.size(); i++) {
    if (!v->items[i].isString()) {
      plainFail(f_, what_ + ": field " + itemPath(pathOf(key), i) + " must be a string");
      ok_ = false;
      return false;
    }
    out.push_back(v->items[i].text);
  }
  return true;
}

bool ObjectReader::array(const char* key, const Value*& out) {
  out = take(key);
  if (!out) return false;
  if (!out->isArray()) return fail(key, "must be an array");
  return true;
}

bool ObjectReader::object(const char* key, const Value*& out, bool nullable) {
  out = take(key);
  if (!out) return false;
  if (nullable && out->isNull()) {
    out = nullptr;
    return true;
  }
  if (!out->isObject()) return fail(key, nullable ? "must be an object or null" : "must be an object");
  return true;
}

bool ObjectReader::member(const char* key, const Value*& out) {
  out = take(key);
  return out != nullptr;
}

bool ObjectReader::nullableInt(const char* key, bool& present, int64_t& out) {
  const Value* v = take(key);
  if (!v) return false;
  present = !v->isNull();
  return !present || toInt(key, v, out);
}

bool ObjectReader::nullableStr(const char* key, bool& present, std::string& out) {
  const Value* v = take(key);
  if (!v) return false;
  present = !v->isNull();
  if (!present) return true;
  if (!v->isString()) return fail(key, "must be a string or null");
  out = v->text;
  return true;
}

bool ObjectReader::finish() {
  if (!ok_) return false;
  for (size_t i = 0; i < v_.members.size(); i++) {
    if (taken_[i]) continue;
    plainFail(f_, what_ + ": unknown field " + pathOf(v_.members[i].first.c_str()) +
                      " (the planner and runts-init disagree; rebuild runts)");
    ok_ = false;
    return false;
  }
  return true;
}

}  // namespace runts::json
