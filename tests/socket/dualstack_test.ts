/**
 * `create_server(..., { dualstack_ipv6 })` and `has_dualstack_ipv6()` on
 * loopback: one `AF_INET6` socket serving IPv4 and IPv6 clients. The
 * tests bind `::ffff:127.0.0.1` and `::1`, never the wildcard `::`.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { throwsWith } from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { needs, notOn } from "../_support/platform.ts";

const { AF_INET, AF_INET6, bytes, create_connection, create_server } = socket;

const dualstack = needs(
  "ipv6",
  notOn(["windows"], "Deno's IPv6 listeners there are IPv6-only"),
);

Deno.test(
  `has_dualstack_ipv6() is true where Deno's IPv6 listeners take IPv4 clients${dualstack.why}`,
  {
    ignore: dualstack.ignore,
  },
  () => {
    assert.equal(socket.has_dualstack_ipv6(), true);
  },
);

Deno.test(
  `a dualstack_ipv6 server on ::ffff:127.0.0.1 accepts an IPv4 client, which it sees as a mapped address${dualstack.why}`,
  {
    ignore: dualstack.ignore,
  },
  async () => {
    using server = create_server(["::ffff:127.0.0.1", 0], {
      family: AF_INET6,
      dualstack_ipv6: true,
    });
    assert.equal(server.family, AF_INET6);
    const port = server.getsockname()[1] as number;
    using client = await create_connection(["127.0.0.1", port]);
    assert.equal(client.family, AF_INET);
    const [conn, address] = await server.accept();
    using _conn = conn;
    assert.equal(address[0], "::ffff:127.0.0.1");
    assert.equal(address.length, 4);
    await client.sendall(bytes("over IPv4"));
    assert.equal(text(await conn.recv(64)), "over IPv4");
  },
);

Deno.test(
  `a dualstack_ipv6 server on ::1 serves an IPv6 client${dualstack.why}`,
  {
    ignore: dualstack.ignore,
  },
  async () => {
    using server = create_server(["::1", 0], {
      family: AF_INET6,
      dualstack_ipv6: true,
      backlog: 4,
    });
    const port = server.getsockname()[1] as number;
    using client = await create_connection(["::1", port]);
    const [conn, address] = await server.accept();
    using _conn = conn;
    assert.equal(address[0], "::1");
    await conn.sendall(bytes("over IPv6"));
    assert.equal(text(await client.recv(64)), "over IPv6");
  },
);

Deno.test("create_server() refuses dualstack_ipv6 with AF_INET with Python's ValueError", () => {
  throwsWith(
    () =>
      create_server(["127.0.0.1", 0], {
        family: AF_INET,
        dualstack_ipv6: true,
      }),
    socket.ValueError,
    {
      message: Deno.build.os === "windows"
        ? /dualstack_ipv6 not supported on this platform/
        : /dualstack_ipv6 requires AF_INET6 family/,
    },
  );
});
