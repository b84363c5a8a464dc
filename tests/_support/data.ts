/**
 * Bytes for assertions: decoding, joining, random data and checksums.
 *
 * @module
 */

/** The UTF-8 text of bytes (invalid bytes become U+FFFD). */
export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

/** Joins chunks of bytes into one array. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** `size` random bytes. */
export function random(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65536)));
  }
  return data;
}

/** The SHA-256 of `data`, in hex. */
export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}
