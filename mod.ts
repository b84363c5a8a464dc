/**
 * pysocket: Python's `socket` module for Deno, so the classic socket
 * tutorial ports line by line. Built directly on `Deno.listen`,
 * `Deno.connect` and `Deno.listenDatagram`.
 *
 * | Python | pysocket |
 * | --- | --- |
 * | `import socket` | `import * as socket from "jsr:@pysocket/pysocket"` |
 * | `sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` | `const sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)` |
 * | `sk.bind(("0.0.0.0", 8888))` | `sk.bind(["0.0.0.0", 8888])` |
 * | `sk.listen(5)` | `sk.listen(5)` |
 * | `conn, addr = sk.accept()` | `const [conn, addr] = await sk.accept()` |
 * | `sk.connect(("127.0.0.1", 8888))` | `await sk.connect(["127.0.0.1", 8888])` |
 * | `conn.sendall(bytes("hello", encoding="utf-8"))` | `await conn.sendall(socket.bytes("hello", "utf-8"))` |
 * | `str(conn.recv(1024), encoding="utf-8")` | `socket.str(await conn.recv(1024), "utf-8")` |
 * | `data, addr = sk.recvfrom(1024)` | `const [data, addr] = await sk.recvfrom(1024)` |
 * | `sk.sendto(data, addr)` | `await sk.sendto(data, addr)` |
 * | `input("server>")` | `await socket.input("server>")` |
 * | `f = sk.makefile("rw", encoding="utf-8")` | `const f = sk.makefile("rw", { encoding: "utf-8" })` |
 * | `line = f.readline()`, `for line in f:` | `const line = await f.readline()`, `for await (const line of f)` |
 * | `f.write(text); f.flush()` | `await f.write(text); await f.flush()` |
 * | `a, b = socket.socketpair()` | `const [a, b] = await socket.socketpair()` |
 * | `sk.sendfile(f, offset, count)` | `await sk.sendfile(file, offset, count)` |
 * | `sk.recv(n, socket.MSG_WAITALL)` | `await sk.recv(n, socket.MSG_WAITALL)` |
 * | `n, addr = sk.recvfrom_into(buf)` | `const [n, addr] = await sk.recvfrom_into(buf)` |
 * | `with socket.socket() as sk:` | `using sk = socket.socket()` |
 * | `except socket.timeout:` | `catch (e) { if (e instanceof socket.timeout) ... }` |
 * | `socket.getnameinfo(addr, socket.NI_NUMERICHOST)` | `await socket.getnameinfo(addr, socket.NI_NUMERICHOST)` |
 * | `socket.getservbyname("http", "tcp")` | `socket.getservbyname("http", "tcp")` |
 * | `socket.getfqdn()` | `await socket.getfqdn()` |
 * | `socket.create_server(("", 8888), family=socket.AF_INET6, dualstack_ipv6=True)` | `socket.create_server(["", 8888], { family: socket.AF_INET6, dualstack_ipv6: true })` |
 * | `sk.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)` | `sk.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)` |
 * | `sk.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton(iface))` | `await sk.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, new Uint8Array([...socket.inet_aton(group), ...socket.inet_aton(iface)]))` |
 *
 * Calls that wait on the network or the resolver return promises; the rest
 * are synchronous, as in Python.
 *
 * Permissions: binding and connecting need `--allow-net` for the address
 * used (`--allow-net=127.0.0.1:8888`; an OS-chosen port is port 0:
 * `--allow-net=127.0.0.1:0`); resolving a name needs `--allow-net` for the
 * name; Unix sockets also need `--allow-read` and `--allow-write` for the
 * path (and Deno 2.9 checks `--allow-net=unix:<path>` too);
 * `socketpair()` needs `--allow-read`, `--allow-write` and `--allow-net`
 * (its default `AF_UNIX`), or `--allow-net=127.0.0.1` for
 * `socketpair(AF_INET)`; `gethostname()` needs `--allow-sys=hostname`;
 * reverse lookups (`getnameinfo` without `NI_NUMERICHOST`, `getfqdn`)
 * need `--allow-net` for the address; `input()` reads stdin, which needs
 * none. Importing the module asks for nothing. Datagram (UDP) sockets need
 * `--unstable-net`.
 *
 * @example The tutorial's TCP client
 * ```ts ignore
 * import * as socket from "jsr:@pysocket/pysocket";
 *
 * const sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 * await sk.connect(["127.0.0.1", 8888]);
 * while (true) {
 *   const recv_data = socket.str(await sk.recv(1024), "utf-8");
 *   console.log(`server>${recv_data}`);
 *   const send_data = await socket.input("client>");
 *   await sk.sendall(socket.bytes(send_data, "utf-8"));
 *   if (send_data === "exit") {
 *     sk.close();
 *     break;
 *   }
 * }
 * ```
 *
 * @module
 */

export {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AF_UNSPEC,
  errno,
  type ErrnoName,
  errorcode,
  INADDR_ANY,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  MSG_DONTROUTE,
  MSG_OOB,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_BROADCAST,
  SO_KEEPALIVE,
  SO_REUSEADDR,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_RDM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOL_SOCKET,
  SOMAXCONN,
  strerror,
  TCP_NODELAY,
} from "./lib/socket/constants.ts";
export {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  EOFError,
  error,
  FileNotFoundError,
  gaierror,
  InterruptedError,
  OSError,
  OverflowError,
  PermissionError,
  timeout,
  TimeoutError,
  ValueError,
} from "./lib/socket/errors.ts";
export {
  type Address,
  htonl,
  htons,
  inet_aton,
  inet_ntoa,
  inet_ntop,
  inet_pton,
  type IPv4Address,
  type IPv6Address,
  ntohl,
  ntohs,
} from "./lib/socket/address.ts";
export {
  type AddrInfo,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_PASSIVE,
  getaddrinfo,
  gethostbyname,
  gethostname,
} from "./lib/socket/resolve.ts";
export {
  bytes,
  type DecodeErrors,
  type Encoding,
  input,
  str,
  UnicodeDecodeError,
  UnicodeEncodeError,
} from "./lib/socket/text.ts";
export {
  getdefaulttimeout,
  setdefaulttimeout,
} from "./lib/socket/default_timeout.ts";
export {
  type Buffer,
  type SendfileSource,
  Socket,
  socket,
  type SocketHandle,
} from "./lib/socket/socket.ts";
export {
  type BinaryMode,
  type MakefileOptions,
  type Newline,
  type SocketFile,
} from "./lib/socket/socket_file.ts";
export { socketpair } from "./lib/socket/socketpair.ts";
export {
  create_connection,
  type CreateConnectionOptions,
} from "./lib/socket/create_connection.ts";
export {
  create_server,
  type CreateServerOptions,
  has_dualstack_ipv6,
} from "./lib/socket/create_server.ts";
export { getservbyname, getservbyport } from "./lib/socket/services.ts";
export {
  getfqdn,
  getnameinfo,
  NI_DGRAM,
  NI_MAXHOST,
  NI_MAXSERV,
  NI_NAMEREQD,
  NI_NOFQDN,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
} from "./lib/socket/nameinfo.ts";
