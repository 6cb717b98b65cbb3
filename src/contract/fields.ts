// Descriptions of the JSON documents runts writes for its own native side
// (the launch plan, the state record): each is the one statement of a
// document's fields, from which the TypeScript type is checked at compile
// time (Infer + Equal) and against which the C++ reader is tested.

export type Field =
  | { readonly kind: 'string' }
  | { readonly kind: 'map'; readonly of: Field }
  | { readonly kind: 'optional'; readonly of: Field }
  | { readonly kind: 'int' }
  | { readonly kind: 'uint64' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'literal'; readonly value: number }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'array'; readonly of: Field }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Field>> }
  | { readonly kind: 'nullable'; readonly of: Field };

/** A JSON string. */
export const str = { kind: 'string' } as const;
/** A JSON number that is an integer (flags, ids, counts). */
export const int = { kind: 'int' } as const;
/** A 64-bit unsigned quantity as a decimal string (JSON numbers lose precision past 2^53). */
export const uint64 = { kind: 'uint64' } as const;
export const bool = { kind: 'bool' } as const;
export const literal = <const V extends number>(value: V) => ({ kind: 'literal', value }) as const;
export const oneOf = <const V extends readonly string[]>(...values: V) => ({ kind: 'enum', values }) as const;
export const array = <F extends Field>(of: F) => ({ kind: 'array', of }) as const;
export const object = <F extends Record<string, Field>>(fields: F) => ({ kind: 'object', fields }) as const;
export const nullable = <F extends Field>(of: F) => ({ kind: 'nullable', of }) as const;
/** An object member that may be absent (only where the writer omits it). */
export const optional = <F extends Field>(of: F) => ({ kind: 'optional', of }) as const;
/** An object with any keys and values of one kind (annotations). */
export const map = <F extends Field>(of: F) => ({ kind: 'map', of }) as const;

/** The TypeScript type a description stands for. */
export type Infer<F> = F extends { kind: 'string' | 'uint64' }
  ? string
  : F extends { kind: 'int' }
    ? number
    : F extends { kind: 'bool' }
      ? boolean
      : F extends { kind: 'literal'; value: infer V }
        ? V
        : F extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : F extends { kind: 'array'; of: infer E }
            ? Infer<E>[]
            : F extends { kind: 'nullable'; of: infer E }
              ? Infer<E> | null
              : F extends { kind: 'map'; of: infer E }
                ? Record<string, Infer<E>>
                : F extends { kind: 'object'; fields: infer O }
                  ? Simplify<
                      { -readonly [K in keyof O as O[K] extends { kind: 'optional' } ? never : K]: Infer<O[K]> } & {
                        -readonly [K in keyof O as O[K] extends { kind: 'optional' } ? K : never]?: O[K] extends {
                          kind: 'optional';
                          of: infer E;
                        }
                          ? Infer<E>
                          : never;
                      }
                    >
                  : never;

type Simplify<T> = { [K in keyof T]: T[K] };

/** true when A and B are the same type. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
