/**
 * Lookups by names a caller chooses (a version, an alias, an asset, a query parameter). A plain object answers
 * `constructor`, `toString` or `__proto__` from its prototype; these read own properties only, so such a name
 * is simply absent.
 */

/**
 * The value stored under `key` itself, never one inherited from `Object.prototype`.
 *
 * @example
 * own({ "1": entry }, "constructor") // undefined, where `record["constructor"]` is the Object function
 */
export function own<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Whether `key` is one of the record's own names. */
export function hasOwn(record: object | undefined, key: string): boolean {
  return record !== undefined && Object.hasOwn(record, key);
}
