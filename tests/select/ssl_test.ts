/**
 * `select` on TLS sockets (`SSLSocket`): a listening TLS socket is
 * readable when a client connects, a connection when decrypted data
 * arrives, and nothing select saw is lost. (`SSLSocket.recv` takes no
 * flags, so no `MSG_PEEK` there; Python refuses flags on it too.)
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import * as ssl from "../../lib/ssl/mod.ts";
import * as select from "../../lib/select/mod.ts";
import { needs } from "../_support/platform.ts";
import { makeCerts } from "../_support/tls_certs.ts";

const openssl = needs("openssl");

Deno.test({
  name: `select waits on TLS sockets and loses nothing${openssl.why}`,
  ignore: openssl.ignore,
  async fn() {
    const certs = await makeCerts();
    const serverCtx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
    serverCtx.load_cert_chain(certs.serverCert, certs.serverKey);
    const clientCtx = ssl.create_default_context();
    clientCtx.load_verify_locations(certs.caCert);
    using server = await serverCtx.wrap_socket(
      socket.create_server(["127.0.0.1", 0]),
      { server_side: true },
    );
    const plain = await socket.create_connection(
      server.getsockname() as [string, number],
      5,
    );
    const connecting = clientCtx.wrap_socket(plain, {
      server_hostname: "localhost",
    });
    assert.deepEqual((await select.select([server], [], [], 10))[0], [server]);
    const [[conn], client] = await Promise.all([server.accept(), connecting]);
    using _conn = conn;
    using _client = client;
    assert.deepEqual(await select.select([conn], [conn], [], 0), [
      [],
      [conn],
      [],
    ]);
    await client.sendall(socket.bytes("secret", "utf-8"));
    assert.deepEqual((await select.select([conn], [], [], 10))[0], [conn]);
    assert.equal(socket.str(await conn.recv(100), "utf-8"), "secret");
  },
});
