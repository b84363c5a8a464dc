/**
 * Private: new bytes for small results without an `ArrayBuffer` each.
 *
 * Python's `recv` returns new bytes every call. Allocating an
 * `ArrayBuffer` costs about a microsecond in V8, more than a loopback
 * read, so small results are carved out of a shared block instead, as
 * Node's `Buffer.allocUnsafe` carves small buffers out of its pool: each
 * result is a view of bytes no other result shares, and a block is never
 * written again once carved, so a result never changes under its holder.
 * (Its `.buffer` is the block; `slice()` a result to own a buffer alone.)
 *
 * @module
 */

/** The largest result carved from a block; larger ones get their own buffer. */
export const POOL_MAX = 1024;
/** The size of a block. */
const BLOCK = 8192;

let block = new Uint8Array(BLOCK);
let used = 0;

/**
 * Room for `size` (at most {@linkcode POOL_MAX}) new bytes, to read into:
 * it is the caller's alone, even while the read waits; call
 * {@linkcode take} with how many were filled.
 *
 * @param size The most bytes the read may bring.
 * @returns The view to read into.
 */
export function reserve(size: number): Uint8Array {
  if (BLOCK - used < size) {
    block = new Uint8Array(BLOCK);
    used = 0;
  }
  const view = block.subarray(used, used + size);
  used += size;
  return view;
}

/**
 * The first `n` bytes of a reserved view, filled by a read; the rest is
 * given back when no reservation came after it.
 *
 * @param view A view from {@linkcode reserve}.
 * @param n How many bytes the read brought.
 * @returns Those bytes, new.
 */
export function take(view: Uint8Array, n: number): Uint8Array {
  if (view.buffer === block.buffer && view.byteOffset + view.length === used) {
    used = view.byteOffset + n;
  }
  return view.subarray(0, n);
}

/**
 * New bytes with the contents of `data`: carved from a block when small,
 * else a copy of their own.
 *
 * @param data The bytes to copy.
 * @returns The copy.
 */
export function copyOut(data: Uint8Array): Uint8Array {
  if (data.length > POOL_MAX) return data.slice();
  const view = reserve(data.length);
  view.set(data);
  return take(view, data.length);
}
