/**
 * Text from the network made safe for a terminal: control characters and
 * bidirectional overrides shown as visible escapes.
 *
 * @module
 */

// C0 controls but tab, DEL, C1 controls, and bidirectional overrides.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Replaces control characters in text from the network with visible escapes
 * (`\x1b`, `\r`, `\x9b`...), so a peer cannot move the cursor, clear the
 * screen or rewrite earlier lines of a terminal. Tabs are kept; newlines
 * are kept unless `keepNewlines` is `false`.
 *
 * @param text Text received from a peer.
 * @param keepNewlines Whether `\n` passes through unchanged.
 * @returns Text that is safe to write to a terminal.
 */
export function escapeControl(text: string, keepNewlines = true): string {
  return text.replace(
    CONTROL,
    (c) => {
      if (c === "\n" && keepNewlines) return c;
      if (c === "\r") return "\\r";
      if (c === "\n") return "\\n";
      const code = c.charCodeAt(0);
      return code > 0xff
        ? `\\u${code.toString(16).padStart(4, "0")}`
        : `\\x${code.toString(16).padStart(2, "0")}`;
    },
  );
}
