/**
 * Private: Python's `repr` of an address, for `handle_error`'s line
 * ("Exception occurred during processing of request from ('127.0.0.1', 5)").
 *
 * @module
 */

import type { Address } from "../socket/address.ts";

/**
 * A string, number or tuple as Python's `repr` writes it.
 *
 * @param value The address.
 * @returns Its text: `('127.0.0.1', 54321)`, `'/tmp/s'`.
 */
export function pythonRepr(value: Address | string | number): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const named: Record<string, string> = {
      "\\": "\\\\",
      "\n": "\\n",
      "\r": "\\r",
      "\t": "\\t",
      [quote]: `\\${quote}`,
    };
    let body = "";
    for (const c of value) {
      const code = c.codePointAt(0)!;
      body += named[c] ??
        (code < 0x20 || code === 0x7f
          ? `\\x${code.toString(16).padStart(2, "0")}`
          : c);
    }
    return `${quote}${body}${quote}`;
  }
  return `(${value.map((v) => pythonRepr(v)).join(", ")})`;
}
