// A strict reader for the JSON documents runts writes for itself (the launch
// plan; src/plan/contract.ts describes it). Every field must be present with
// its type, and a field the reader does not take is an error: a planner and
// a reader that disagree fail loudly, never fall back to a silent default.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "failure.h"
#include "json.h"

namespace runts::json {

class ObjectReader {
 public:
  // what names the document in messages ("launch plan"); path is the JSON
  // path of this object ("" for the top, "process", "mounts[2]").
  ObjectReader(const Value& v, std::string what, std::string path, Failure& f);

  bool ok() const { return ok_; }

  bool str(const char* key, std::string& out);
  bool i64(const char* key, int64_t& out);
  // A JSON integer that must fit T (flags, ids, counts).
  template <typename T>
  bool integer(const char* key, T& out) {
    int64_t n = 0;
    if (!i64(key, n)) return false;
    if (n < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (n > 0 && static_cast<uint64_t>(n) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
      return fail(key, "is out of range");
    out = static_cast<T>(n);
    return true;
  }
  // A 64-bit unsigned value carried as a decimal string.
  bool u64String(const char* key, uint64_t& out);
  bool boolean(const char* key, bool& out);
  bool strings(const char* key, std::vector<std::string>& out);
  // Members that are arrays or objects: the reader of the nested value
  // takes it from here. nullable: a JSON null gives nullptr and true.
  bool array(const char* key, const Value*& out);
  bool object(const char* key, const Value*& out, bool nullable = false);
  // Any member, as it is (the caller checks its type).
  bool member(const char* key, const Value*& out);
  bool nullableInt(const char* key, bool& present, int64_t& out);
  bool nullableStr(const char* key, bool& present, std::string& out);

  // Refuses members that were not taken. Call last.
  bool finish();

  // The JSON path of a member or an array item, for nested readers.
  std::string pathOf(const char* key) const;
  static std::string itemPath(const std::string& arrayPath, size_t i);
  const std::string& what() const { return what_; }

 private:
  const Value* take(const char* key);
  bool toInt(const char* key, const Value* v, int64_t& out);
  bool fail(const char* key, const std::string& problem);

  const Value& v_;
  std::string what_, path_;
  Failure& f_;
  std::vector<bool> taken_;
  bool ok_ = true;
};

}  // namespace runts::json
