/**
 * Assertions about errors: the class and the properties of what an
 * operation throws, as pysocket's Python-style errors carry them (`errno`,
 * `strerror`, `reason`, ...).
 *
 * @module
 */

import assert from "node:assert/strict";

/** A class whose instances are `T`. */
// deno-lint-ignore no-explicit-any
export type ErrorClass<T> = abstract new (...args: any[]) => T;

/** Checks the class and the given own properties of a thrown value. */
function checkError<T extends Error>(
  err: unknown,
  Class: ErrorClass<T>,
  props: Record<string, unknown>,
  what: string,
): T {
  assert.ok(
    err instanceof Class,
    `${what}: expected ${Class.name}, got ${
      err instanceof Error ? `${err.constructor.name}: ${err.message}` : err
    }`,
  );
  for (const [key, expected] of Object.entries(props)) {
    const actual: unknown = (err as unknown as Record<string, unknown>)[key];
    if (expected instanceof RegExp && typeof actual === "string") {
      assert.match(actual, expected, `${what}: ${key}`);
    } else {
      assert.deepStrictEqual(actual, expected, `${what}: ${key}`);
    }
  }
  return err;
}

/**
 * Asserts that `operation` rejects with an instance of `Class` whose
 * properties match `props` (strings and numbers exactly, regexps by match),
 * and returns the error.
 */
export async function rejectsWith<T extends Error>(
  operation: Promise<unknown> | (() => Promise<unknown>),
  Class: ErrorClass<T>,
  props: Record<string, unknown> = {},
  what = "operation",
): Promise<T> {
  try {
    await (typeof operation === "function" ? operation() : operation);
  } catch (err) {
    return checkError(err, Class, props, what);
  }
  assert.fail(`${what}: expected ${Class.name}, but it succeeded`);
}

/** The synchronous twin of {@linkcode rejectsWith}. */
export function throwsWith<T extends Error>(
  operation: () => unknown,
  Class: ErrorClass<T>,
  props: Record<string, unknown> = {},
  what = "operation",
): T {
  try {
    operation();
  } catch (err) {
    return checkError(err, Class, props, what);
  }
  assert.fail(`${what}: expected ${Class.name}, but it succeeded`);
}
