/**
 * Python's `selectors` module for Deno: register sockets with the events
 * to wait for and data of your own, then wait on all of them at once, so
 * Python's selectors servers port line by line.
 *
 * | Python | pysocket |
 * | --- | --- |
 * | `import selectors` | `import * as selectors from "jsr:@pysocket/pysocket/selectors"` |
 * | `sel = selectors.DefaultSelector()` | `const sel = new selectors.DefaultSelector<socket.Socket, Callback>()` |
 * | `sel.register(sock, selectors.EVENT_READ, accept)` | `sel.register(sock, selectors.EVENT_READ, accept)` |
 * | `for key, mask in sel.select():` | `for (const [key, mask] of await sel.select())` |
 * | `key.data(key.fileobj, mask)` | `await key.data!(key.fileobj, mask)` |
 * | `sel.modify(sock, selectors.EVENT_WRITE, data)` | `sel.modify(sock, selectors.EVENT_WRITE, data)` |
 * | `sel.unregister(conn)` | `sel.unregister(conn)` |
 * | `with selectors.DefaultSelector() as sel:` | `using sel = new selectors.DefaultSelector()` |
 * | `except KeyError:` | `catch (e) { if (e instanceof selectors.KeyError) ... }` |
 *
 * `select` is the only call that waits, so it is the only async one. The
 * type parameters say what is registered and what data goes with it (a
 * callback, in Python's example); both are optional.
 *
 * Readiness is `select`'s (see the `select` module): asking loses nothing,
 * the read that learns a socket is readable is the one the next `recv`
 * finishes.
 *
 * Permissions: none of its own; the sockets need theirs.
 *
 * @example Python's selectors example: an echo server with callbacks
 * ```ts ignore
 * import * as socket from "jsr:@pysocket/pysocket";
 * import * as selectors from "jsr:@pysocket/pysocket/selectors";
 *
 * type Callback = (sock: socket.Socket, mask: number) => Promise<void>;
 * const sel = new selectors.DefaultSelector<socket.Socket, Callback>();
 *
 * async function accept(sock: socket.Socket, _mask: number) {
 *   const [conn, addr] = await sock.accept();
 *   console.log("accepted", conn, "from", addr);
 *   conn.setblocking(false);
 *   sel.register(conn, selectors.EVENT_READ, read);
 * }
 *
 * async function read(conn: socket.Socket, _mask: number) {
 *   const data = await conn.recv(1000);
 *   if (data.length > 0) {
 *     await conn.send(data);
 *   } else {
 *     sel.unregister(conn);
 *     conn.close();
 *   }
 * }
 *
 * const sock = socket.socket();
 * sock.bind(["localhost", 1234]);
 * sock.listen(100);
 * sock.setblocking(false);
 * sel.register(sock, selectors.EVENT_READ, accept);
 * while (true) {
 *   for (const [key, mask] of await sel.select()) {
 *     await key.data!(key.fileobj, mask);
 *   }
 * }
 * ```
 *
 * @module
 */

export {
  BaseSelector,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  type FileObject,
  SelectorKey,
  type SelectorMapping,
  SelectSelector,
} from "./selectors.ts";
export { KeyError, RuntimeError, ValueError } from "../socket/errors.ts";
