// JSON paths for messages: "process.args[0]", "annotations[\"com.example\"]".

export function joinPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** Converts a JSON pointer ("/process/args/0") to a JSON path. */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((acc, seg) => joinPath(acc, /^(0|[1-9]\d*)$/.test(seg) ? Number(seg) : seg), '');
}
