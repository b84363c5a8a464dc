/**
 * The public API is an explicit list: the package root exports exactly the
 * socket module's names, and no private helper is among them.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as root from "../../mod.ts";
import * as socketModule from "../../lib/socket/mod.ts";
import * as ssl from "../../lib/ssl/mod.ts";

Deno.test("mod.ts exports exactly the socket module's names", () => {
  assert.deepEqual(
    Object.keys(root).sort(),
    Object.keys(socketModule).sort(),
  );
});

Deno.test("no private helper is public: the helpers that once leaked are gone", () => {
  const leaked = [
    "translateError",
    "oserror",
    "ipEndpoint",
    "fromDenoAddr",
    "formatHostPort",
    "formatAddress",
    "checkPort",
    "isIPv4",
    "isIPv6",
    "escapeControl",
    "LineReader",
    "LineSplitStream",
  ];
  for (const name of leaked) {
    assert.equal(name in root, false, `mod.ts exports ${name}`);
    assert.equal(name in ssl, false, `ssl exports ${name}`);
  }
  // TLS lives in its own module, as Python's `ssl` does.
  assert.equal("SSLContext" in root, false);
  assert.equal("Socket" in ssl, false);
  assert.equal(typeof ssl.SSLContext, "function");
});

Deno.test("Python's makefile, socketpair, sendfile, recvfrom_into and MSG_* flags are public", () => {
  assert.equal(typeof root.socketpair, "function");
  for (const method of ["makefile", "sendfile", "recvfrom_into"] as const) {
    assert.equal(typeof root.Socket.prototype[method], "function", method);
  }
  for (const flag of ["MSG_OOB", "MSG_PEEK", "MSG_DONTROUTE", "MSG_WAITALL"]) {
    assert.equal(
      typeof (root as Record<string, unknown>)[flag],
      "number",
      flag,
    );
  }
  // The file object's class is private: makefile() is the way to get one.
  assert.equal("SocketIO" in root, false);
  assert.equal("checkFlags" in root, false);
});

Deno.test("the names of Python's socket chapter two are exported: services, name info, dual-stack, broadcast and multicast", () => {
  const names = [
    "getservbyname",
    "getservbyport",
    "getnameinfo",
    "getfqdn",
    "has_dualstack_ipv6",
    "NI_NUMERICHOST",
    "NI_NUMERICSERV",
    "NI_NAMEREQD",
    "NI_DGRAM",
    "NI_NOFQDN",
    "NI_MAXHOST",
    "NI_MAXSERV",
    "SO_BROADCAST",
    "IPPROTO_IP",
    "IPPROTO_IPV6",
    "INADDR_ANY",
    "IP_ADD_MEMBERSHIP",
    "IP_DROP_MEMBERSHIP",
    "IP_MULTICAST_IF",
    "IP_MULTICAST_TTL",
    "IP_MULTICAST_LOOP",
    "IPV6_JOIN_GROUP",
    "IPV6_LEAVE_GROUP",
    "IPV6_MULTICAST_IF",
    "IPV6_MULTICAST_HOPS",
    "IPV6_MULTICAST_LOOP",
  ];
  for (const name of names) assert.ok(name in root, `mod.ts lacks ${name}`);
  // Private helpers of these stay private.
  for (const name of ["MulticastOptions", "serviceTable", "EAI_NONAME"]) {
    assert.equal(name in root, false, `mod.ts exports ${name}`);
  }
});
