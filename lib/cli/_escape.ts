/**
 * Text from the network made safe for a terminal: control characters,
 * bidirectional controls and invisible characters shown as visible
 * escapes.
 *
 * @module
 */

// C0 controls but tab, DEL, C1 controls; bidirectional controls (the
// Arabic letter mark, the left-to-right and right-to-left marks, the
// embeddings, overrides and isolates); invisible characters (zero-width
// space and joiners, the byte order mark); and the line and paragraph
// separators, which some terminals and editors break lines at.
const CONTROL =
  // deno-lint-ignore no-control-regex
  /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * Replaces control characters in text from the network with visible escapes
 * (`\x1b`, `\r`, `\x9b`, `\u202e`, `\u200b`...), so a peer cannot move
 * the cursor, clear the screen, rewrite earlier lines of a terminal, or
 * hide or reorder what others read. Tabs are kept; newlines
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
