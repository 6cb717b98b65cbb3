#include "json.h"

#include <cerrno>
#include <cstdlib>

namespace runts::json {

namespace {

constexpr int kMaxDepth = 128;

struct Parser {
  std::string_view in;
  size_t pos = 0;
  std::string error;

  bool fail(const char* what) {
    if (error.empty()) error = std::string(what) + " at offset " + std::to_string(pos);
    return false;
  }

  void skipSpace() {
    while (pos < in.size() && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) pos++;
  }

  bool literal(std::string_view word) {
    if (in.substr(pos, word.size()) != word) return fail("invalid literal");
    pos += word.size();
    return true;
  }

  static void appendUtf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(uint32_t& cp) {
    if (pos + 4 > in.size()) return fail("short \\u escape");
    cp = 0;
    for (int i = 0; i < 4; i++) {
      char c = in[pos++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') cp |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') cp |= static_cast<uint32_t>(c - 'A' + 10);
      else return fail("bad \\u escape");
    }
    return true;
  }

  bool string(std::string& out) {
    pos++;  // opening quote
    while (true) {
      if (pos >= in.size()) return fail("unterminated string");
      char c = in[pos++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos >= in.size()) return fail("unterminated escape");
      char e = in[pos++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && in.substr(pos, 2) == "\\u") {
            pos += 2;
            uint32_t low;
            if (!hex4(low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              appendUtf8(cp, out);
              cp = low;
            }
          }
          appendUtf8(cp, out);
          break;
        }
        default:
          return fail("bad escape");
      }
    }
  }

  bool number(Value& v) {
    size_t start = pos;
    if (in[pos] == '-') pos++;
    bool digits = false;
    while (pos < in.size() && ((in[pos] >= '0' && in[pos] <= '9') || in[pos] == '.' || in[pos] == 'e' ||
                               in[pos] == 'E' || in[pos] == '+' || in[pos] == '-')) {
      digits = true;
      pos++;
    }
    if (!digits) return fail("bad number");
    v.type = Type::Number;
    v.text = std::string(in.substr(start, pos - start));
    return true;
  }

  bool value(Value& v, int depth) {
    if (depth > kMaxDepth) return fail("nesting too deep");
    skipSpace();
    if (pos >= in.size()) return fail("unexpected end of input");
    char c = in[pos];
    if (c == '{') {
      v.type = Type::Object;
      pos++;
      skipSpace();
      if (pos < in.size() && in[pos] == '}') {
        pos++;
        return true;
      }
      while (true) {
        skipSpace();
        if (pos >= in.size() || in[pos] != '"') return fail("expected object key");
        std::string key;
        if (!string(key)) return false;
        skipSpace();
        if (pos >= in.size() || in[pos] != ':') return fail("expected ':'");
        pos++;
        Value member;
        if (!value(member, depth + 1)) return false;
        v.members.emplace_back(std::move(key), std::move(member));
        skipSpace();
        if (pos < in.size() && in[pos] == ',') {
          pos++;
          continue;
        }
        if (pos < in.size() && in[pos] == '}') {
          pos++;
          return true;
        }
        return fail("expected ',' or '}'");
      }
    }
    if (c == '[') {
      v.type = Type::Array;
      pos++;
      skipSpace();
      if (pos < in.size() && in[pos] == ']') {
        pos++;
        return true;
      }
      while (true) {
        Value item;
        if (!value(item, depth + 1)) return false;
        v.items.push_back(std::move(item));
        skipSpace();
        if (pos < in.size() && in[pos] == ',') {
          pos++;
          continue;
        }
        if (pos < in.size() && in[pos] == ']') {
          pos++;
          return true;
        }
        return fail("expected ',' or ']'");
      }
    }
    if (c == '"') {
      v.type = Type::String;
      return string(v.text);
    }
    if (c == 't') {
      v.type = Type::Bool;
      v.boolean = true;
      return literal("true");
    }
    if (c == 'f') {
      v.type = Type::Bool;
      return literal("false");
    }
    if (c == 'n') {
      v.type = Type::Null;
      return literal("null");
    }
    return number(v);
  }
};

void writeIndent(std::string& out, int indent, int level) {
  if (indent < 0) return;
  out += '\n';
  out.append(static_cast<size_t>(indent * level), ' ');
}

void writeValue(const Value& v, std::string& out, int indent, int level) {
  switch (v.type) {
    case Type::Null: out += "null"; return;
    case Type::Bool: out += v.boolean ? "true" : "false"; return;
    case Type::Number: out += v.text; return;
    case Type::String: writeString(v.text, out); return;
    case Type::Array: {
      if (v.items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < v.items.size(); i++) {
        if (i) out += ',';
        writeIndent(out, indent, level + 1);
        writeValue(v.items[i], out, indent, level + 1);
      }
      writeIndent(out, indent, level);
      out += ']';
      return;
    }
    case Type::Object: {
      if (v.members.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      for (size_t i = 0; i < v.members.size(); i++) {
        if (i) out += ',';
        writeIndent(out, indent, level + 1);
        writeString(v.members[i].first, out);
        out += indent < 0 ? ":" : ": ";
        writeValue(v.members[i].second, out, indent, level + 1);
      }
      writeIndent(out, indent, level);
      out += '}';
      return;
    }
  }
}

}  // namespace

const Value* Value::get(std::string_view key) const {
  if (type != Type::Object) return nullptr;
  for (const auto& m : members)
    if (m.first == key) return &m.second;
  return nullptr;
}

Value* Value::getMutable(std::string_view key) {
  if (type != Type::Object) return nullptr;
  for (auto& m : members)
    if (m.first == key) return &m.second;
  return nullptr;
}

std::string Value::str(std::string_view key, std::string_view fallback) const {
  const Value* v = get(key);
  return v && v->type == Type::String ? v->text : std::string(fallback);
}

int64_t Value::asI64(int64_t fallback) const {
  if (type != Type::Number && type != Type::String) return fallback;
  errno = 0;
  char* end = nullptr;
  long long n = strtoll(text.c_str(), &end, 10);
  if (errno || end == text.c_str() || *end) return fallback;
  return n;
}

uint64_t Value::asU64(uint64_t fallback) const {
  if (type != Type::Number && type != Type::String) return fallback;
  if (!text.empty() && text[0] == '-') return fallback;
  errno = 0;
  char* end = nullptr;
  unsigned long long n = strtoull(text.c_str(), &end, 10);
  if (errno || end == text.c_str() || *end) return fallback;
  return n;
}

int64_t Value::i64(std::string_view key, int64_t fallback) const {
  const Value* v = get(key);
  return v ? v->asI64(fallback) : fallback;
}

uint64_t Value::u64(std::string_view key, uint64_t fallback) const {
  const Value* v = get(key);
  return v ? v->asU64(fallback) : fallback;
}

bool Value::flag(std::string_view key, bool fallback) const {
  const Value* v = get(key);
  return v && v->type == Type::Bool ? v->boolean : fallback;
}

Value Value::makeString(std::string s) {
  Value v;
  v.type = Type::String;
  v.text = std::move(s);
  return v;
}

Value Value::makeNumber(int64_t n) {
  Value v;
  v.type = Type::Number;
  v.text = std::to_string(n);
  return v;
}

Value Value::makeObject() {
  Value v;
  v.type = Type::Object;
  return v;
}

void Value::set(std::string key, Value v) {
  if (Value* existing = getMutable(key)) {
    *existing = std::move(v);
    return;
  }
  members.emplace_back(std::move(key), std::move(v));
}

bool parse(std::string_view text, Value& out, std::string& error) {
  Parser p;
  p.in = text;
  out = Value{};
  if (!p.value(out, 0)) {
    error = p.error;
    return false;
  }
  p.skipSpace();
  if (p.pos != text.size()) {
    p.fail("trailing characters");
    error = p.error;
    return false;
  }
  return true;
}

void writeString(std::string_view s, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void write(const Value& v, std::string& out, int indent) { writeValue(v, out, indent, 0); }

}  // namespace runts::json
