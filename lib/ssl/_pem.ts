/**
 * Private: certificates and keys in PEM files and DER bytes.
 *
 * @module
 */

import { translateError } from "../socket/_translate.ts";
import { SSLError } from "./errors.ts";

/** One `-----BEGIN LABEL-----` block of a PEM file. */
export interface PemBlock {
  label: string;
  text: string;
}

/** The PEM blocks in `text`, each with its label. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (const match of text.matchAll(re)) {
    blocks.push({ label: match[1], text: `${match[0]}\n` });
  }
  return blocks;
}

/** The certificates in PEM `text`. */
export function certificatesIn(text: string): string[] {
  return pemBlocks(text).filter((b) => b.label === "CERTIFICATE").map((b) =>
    b.text
  );
}

/** The largest PEM file read: 8 MiB (a system's whole CA bundle is far less). */
export const MAX_PEM_BYTES = 8 << 20;

/**
 * Reads a PEM file, with Python's errors for a missing or unreadable one,
 * and at most {@linkcode MAX_PEM_BYTES} of it (`/dev/zero` is refused, not
 * read until the memory runs out).
 */
export function readText(path: string, what: string): string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`${what} must be a file path, got ${String(path)}`);
  }
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path);
  } catch (err) {
    throw translateError(err, `cannot read ${what} ${path}`);
  }
  try {
    const buffer = new Uint8Array(MAX_PEM_BYTES + 1);
    let size = 0;
    while (size < buffer.length) {
      const n = file.readSync(buffer.subarray(size));
      if (n === null) break;
      size += n;
    }
    if (size > MAX_PEM_BYTES) {
      throw new SSLError("file too large", {
        reason: "PEM_LIB",
        detail: `${what} ${path} is larger than ${
          MAX_PEM_BYTES >> 20
        } MiB: it is not a PEM file`,
      });
    }
    return new TextDecoder().decode(buffer.subarray(0, size));
  } catch (err) {
    if (err instanceof SSLError) throw err;
    throw translateError(err, `cannot read ${what} ${path}`);
  } finally {
    file.close();
  }
}

/** DER certificates, one or several concatenated, as PEM blocks. */
export function derToPem(der: Uint8Array): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < der.length) {
    let len = 0;
    let head = 2;
    const first = der[at + 1];
    if (der[at] !== 0x30 || first === undefined) at = -1;
    else if (first < 0x80) len = first;
    else {
      const n = first & 0x7f;
      head = 2 + n;
      for (let i = 0; i < n; i++) len = len * 256 + (der[at + 2 + i] ?? NaN);
    }
    if (at < 0 || !(len > 0) || at + head + len > der.length) {
      throw new SSLError("not enough data", {
        library: "ASN1",
        reason: "NESTED_ASN1_ERROR",
        detail: "cadata bytes are not DER certificates; pass PEM text as a " +
          "string, or DER bytes",
      });
    }
    const one = der.subarray(at, at + head + len);
    let binary = "";
    for (const byte of one) binary += String.fromCharCode(byte);
    const b64 = btoa(binary).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
    out.push(
      `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    );
    at += head + len;
  }
  return out;
}
