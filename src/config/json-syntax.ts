// Where a JSON text goes wrong, in words that quote none of it. V8's
// JSON.parse messages carry a snippet of the input ("Unexpected token 'r',
// "root:$y$j9T..." is not valid JSON") and, for that kind of error, no
// position: a config.json that is a symlink to /etc/shadow would have its
// first bytes printed, and logged by the engine. This scanner runs only once
// JSON.parse has failed, and reports a position and a fixed reason.

export interface JsonSyntaxError {
  /** Offset in the text (UTF-16 code units) where the error is. */
  offset: number;
  /** A fixed description: never any part of the text. */
  reason: string;
}

type Container = 'object' | 'array';

const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(reason: string, at = this.pos): JsonSyntaxError {
    return { offset: at, reason };
  }

  skipSpace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.pos++;
    }
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  string(): JsonSyntaxError | undefined {
    const start = this.pos;
    this.pos++; // the opening quote
    while (!this.atEnd()) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return undefined;
      }
      if (c < 0x20) return this.fail('Bad control character in string literal');
      if (c === 0x5c) {
        const e = this.text[this.pos + 1] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) return this.fail('Bad Unicode escape');
          this.pos += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e) || e === '') return this.fail('Bad escaped character');
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    return this.fail('Unterminated string', start);
  }

  number(): JsonSyntaxError | undefined {
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m || m[0] === '-') return this.fail(this.peek() === '-' ? 'No number after minus sign' : 'Unexpected character');
    const after = this.text[this.pos + m[0].length] ?? '';
    if (after === '.') return this.fail('Unterminated fractional number', this.pos + m[0].length + 1);
    if (after === 'e' || after === 'E') return this.fail('Exponent part is missing a number', this.pos + m[0].length + 1);
    this.pos += m[0].length;
    return undefined;
  }

  literal(): JsonSyntaxError | undefined {
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return undefined;
      }
      if (word.startsWith(this.text.slice(this.pos)) && this.text.length - this.pos < word.length) {
        return this.fail('Unexpected end of input', this.text.length);
      }
    }
    return this.fail('Unexpected character');
  }

  /** A value that is not an object or array, or the opening of one. */
  scalar(): JsonSyntaxError | undefined {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    return this.literal();
  }
}

/** The first syntax error of text, or undefined when it is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxError | undefined {
  const s = new Scanner(text);
  // An explicit stack: nesting depth must not turn into recursion depth.
  const stack: Container[] = [];
  const endOfInput = () => s.fail('Unexpected end of input', text.length);
  // What comes next: a value, a property name (after '{' or ','), or what
  // follows a value (',' or the closing bracket).
  let want: 'value' | 'name' | 'after' = 'value';
  for (;;) {
    s.skipSpace();
    const top = stack[stack.length - 1];
    if (want === 'after' && !top) break;
    if (s.atEnd()) return endOfInput();
    const c = s.peek();
    if (want === 'value') {
      if (c === '{' || c === '[') {
        s.pos++;
        stack.push(c === '{' ? 'object' : 'array');
        s.skipSpace();
        if (s.peek() === (c === '{' ? '}' : ']')) {
          s.pos++;
          stack.pop();
          want = 'after';
        } else {
          want = c === '{' ? 'name' : 'value';
        }
        continue;
      }
      if (top === 'array' && (c === ']' || c === ',')) return s.fail('Unexpected character');
      const bad = s.scalar();
      if (bad) return bad;
      want = 'after';
      continue;
    }
    if (want === 'name') {
      if (c !== '"') return s.fail('Expected double-quoted property name');
      const bad = s.string();
      if (bad) return bad;
      s.skipSpace();
      if (s.atEnd()) return endOfInput();
      if (s.peek() !== ':') return s.fail("Expected ':' after property name");
      s.pos++;
      want = 'value';
      continue;
    }
    const close = top === 'object' ? '}' : ']';
    if (c === close) {
      s.pos++;
      stack.pop();
      continue;
    }
    if (c !== ',') {
      return s.fail(top === 'object' ? "Expected ',' or '}' after property value" : "Expected ',' or ']' after array element");
    }
    s.pos++;
    want = top === 'object' ? 'name' : 'value';
  }
  if (!s.atEnd()) return s.fail('Unexpected non-whitespace character after JSON');
  return undefined;
}
