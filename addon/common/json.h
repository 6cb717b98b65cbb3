// A small JSON reader/writer for the files runts itself writes (state.json,
// the launch plan). It is deliberately plain: the native side never sees
// untrusted JSON that TypeScript has not produced or validated first.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace runts::json {

enum class Type { Null, Bool, Number, String, Array, Object };

struct Value {
  Type type = Type::Null;
  bool boolean = false;
  // Numbers keep their source text so that 64-bit integers survive exactly.
  std::string text;
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> members;

  bool isNull() const { return type == Type::Null; }
  bool isString() const { return type == Type::String; }
  bool isNumber() const { return type == Type::Number; }
  bool isObject() const { return type == Type::Object; }
  bool isArray() const { return type == Type::Array; }

  // Object member lookup; nullptr when absent or when this is not an object.
  const Value* get(std::string_view key) const;
  Value* getMutable(std::string_view key);

  // Typed accessors with a fallback for absent/mistyped values.
  std::string str(std::string_view key, std::string_view fallback = "") const;
  int64_t i64(std::string_view key, int64_t fallback = 0) const;
  uint64_t u64(std::string_view key, uint64_t fallback = 0) const;
  bool flag(std::string_view key, bool fallback = false) const;

  int64_t asI64(int64_t fallback = 0) const;
  uint64_t asU64(uint64_t fallback = 0) const;

  static Value makeString(std::string s);
  static Value makeNumber(int64_t n);
  static Value makeObject();
  void set(std::string key, Value v);
};

// Parses text into out. On failure returns false and describes where.
bool parse(std::string_view text, Value& out, std::string& error);

// Writes v as JSON. indent < 0 writes compact JSON; otherwise pretty-prints
// with that many spaces per level (the layout `runc state` uses).
void write(const Value& v, std::string& out, int indent = -1);
void writeString(std::string_view s, std::string& out);

}  // namespace runts::json
