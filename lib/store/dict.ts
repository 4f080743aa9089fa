/**
 * Dictionaries keyed by untrusted strings (record ids, channel names). They have no prototype,
 * so an id such as `__proto__` or `constructor` is an ordinary key: assigning it cannot change
 * the object's prototype, and reading a missing one never finds an inherited member.
 */
export type Dict<T> = Record<string, T>;

export function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

export function copyDict<T>(source: Readonly<Dict<T>>): Dict<T> {
  return Object.assign(dict<T>(), source);
}

export function own<T>(source: Readonly<Dict<T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(source, key) ? source[key] : undefined;
}
