/**
 * Python's `socket` module: the library's root export. The package's
 * `mod.ts` re-exports exactly these names; its documentation has the
 * Python-beside-pysocket table.
 *
 * Each name is listed here one by one, as Python's `__all__` lists them:
 * private helpers (files starting with `_`) never become public API.
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
} from "./constants.ts";
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
} from "./errors.ts";
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
} from "./address.ts";
export {
  type AddrInfo,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_PASSIVE,
  getaddrinfo,
  gethostbyname,
  gethostname,
} from "./resolve.ts";
export {
  bytes,
  type DecodeErrors,
  type Encoding,
  input,
  str,
  UnicodeDecodeError,
  UnicodeEncodeError,
} from "./text.ts";
export { getdefaulttimeout, setdefaulttimeout } from "./default_timeout.ts";
export {
  type Buffer,
  type SendfileSource,
  Socket,
  socket,
  type SocketHandle,
} from "./socket.ts";
export {
  type BinaryMode,
  type MakefileOptions,
  type Newline,
  type SocketFile,
} from "./socket_file.ts";
export { socketpair } from "./socketpair.ts";
export {
  create_connection,
  type CreateConnectionOptions,
} from "./create_connection.ts";
export {
  create_server,
  type CreateServerOptions,
  has_dualstack_ipv6,
} from "./create_server.ts";
export { getservbyname, getservbyport } from "./services.ts";
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
} from "./nameinfo.ts";
