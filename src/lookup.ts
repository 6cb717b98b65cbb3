// Lookups of names from config.json in runts' own tables. `name in table`
// and `table[name]` also find what every object inherits: "constructor",
// "toString" and "__proto__" would pass as a namespace type, an rlimit or a
// mount option. Only a table's own properties count.

export function own<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

export function hasOwn(table: Readonly<Record<string, unknown>>, key: string): boolean {
  return Object.hasOwn(table, key);
}
