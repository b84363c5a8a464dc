/**
 * TLS on real loopback sockets: pysocket's TLS server and client with each
 * other and with python3's `ssl` module, certificate and host name checks,
 * end of stream, large transfers, timeouts, and the configurations Deno
 * cannot honour. Certificates are made by openssl at test time
 * (`_support/tls_certs.ts`); without openssl every test here is ignored,
 * and says so in its name, as do the Python tests without Python.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import * as ssl from "@pysocket/pysocket/ssl";
import { rejectsWith, throwsWith } from "../_support/assert.ts";
import { recvAll } from "../_support/net.ts";
import type { Child } from "../_support/process.ts";
import { needs, type Skip } from "../_support/platform.ts";
import { pythonChild } from "../_support/python.ts";
import { within } from "../_support/wait.ts";
import { makeCerts, type TlsCerts } from "../_support/tls_certs.ts";

const openssl = needs("openssl");
const withPython = needs("openssl", "python");
let certs!: TlsCerts;
if (!openssl.ignore) certs = await makeCerts();

/** A TLS test, ignored (and named so) without what `skip` names. */
function tlsTest(
  name: string,
  fn: () => Promise<void> | void,
  skip: Skip = openssl,
): void {
  Deno.test({ name: name + skip.why, ignore: skip.ignore, fn });
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function serverContext(
  cert = certs.serverCert,
  key: string | undefined = certs.serverKey,
): ssl.SSLContext {
  const ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
  ctx.load_cert_chain(cert, key);
  return ctx;
}

function clientContext(
  cafile: string | null = certs.caCert,
): ssl.SSLContext {
  const ctx = ssl.create_default_context();
  if (cafile) ctx.load_verify_locations(cafile);
  return ctx;
}

/** A TLS server listening on `host`, port 0. */
async function tlsServer(
  ctx = serverContext(),
  host = "127.0.0.1",
): Promise<ssl.SSLSocket> {
  const family = host.includes(":") ? socket.AF_INET6 : socket.AF_INET;
  const plain = socket.create_server([host, 0], { family });
  return await ctx.wrap_socket(plain, { server_side: true });
}

function addressOf(sock: socket.Socket): [string, number] {
  const [host, port] = sock.getsockname() as [string, number];
  return [host, port];
}

/** Connects a wrapped client to `server` and accepts it: both ends. */
async function tlsPair(
  server: ssl.SSLSocket,
  ctx = clientContext(),
  server_hostname = "localhost",
): Promise<[client: ssl.SSLSocket, conn: ssl.SSLSocket]> {
  const plain = await socket.create_connection(addressOf(server), 5);
  const [client, [conn]] = await within(
    Promise.all([
      ctx.wrap_socket(plain, { server_hostname }),
      server.accept(),
    ]),
    5000,
    "TLS handshake",
  );
  return [client, conn];
}

/** Connects and expects the handshake to fail on both ends. */
async function failedHandshake(
  server: ssl.SSLSocket,
  ctx: ssl.SSLContext,
  server_hostname = "localhost",
): Promise<[clientError: unknown, serverError: unknown]> {
  const plain = await socket.create_connection(addressOf(server), 5);
  const [client, accepted] = await within(
    Promise.allSettled([
      ctx.wrap_socket(plain, { server_hostname }),
      server.accept(),
    ]),
    5000,
    "failing TLS handshake",
  );
  if (client.status === "fulfilled") client.value.close();
  if (accepted.status === "fulfilled") accepted.value[0].close();
  assert.equal(plain.fileno(), -1, "the plain socket is detached either way");
  return [
    client.status === "rejected" ? client.reason : "handshake succeeded",
    accepted.status === "rejected" ? accepted.reason : "accept succeeded",
  ];
}

/** A python3 program that prints `PORT <n>` once it listens. */
async function pythonServer(code: string, args: string[]): Promise<
  [Child, number]
> {
  const child = pythonChild(code, args, {
    lifetimeMs: 15_000,
  });
  await child.waitFor("stdout", /PORT \d+\n/);
  return [child, Number(/PORT (\d+)/.exec(child.stdout)![1])];
}

// A python3 TLS echo server: upper-cases what it reads, then closes without
// a TLS close_notify, as Python's close() does. argv: certfile keyfile
// [cafile: require client certificates signed by it].
const PY_SERVER = `
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
if len(sys.argv) > 3:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(sys.argv[3])
srv = socket.create_server(("127.0.0.1", 0))
print("PORT", srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
        peer = tls.getpeercert()
        if peer:
            print("CLIENT", dict(x[0] for x in peer["subject"])["commonName"], flush=True)
        data = tls.recv(1024)
        tls.sendall(data.upper() + b" " + tls.version().encode())
        tls.close()
    except (ssl.SSLError, OSError) as e:
        print("ERROR", e, flush=True)
        conn.close()
`;

// A python3 TLS client: argv: port cafile.
const PY_CLIENT = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    with ctx.wrap_socket(s, server_hostname="localhost") as tls:
        tls.sendall(b"hello from python")
        reply = b""
        while True:
            data = tls.recv(1024)
            if not data:
                break
            reply += data
        print("REPLY", reply.decode(), tls.version(), flush=True)
`;

tlsTest("wrapped pysocket client and server echo over TLS", async () => {
  const serverCtx = serverContext();
  serverCtx.set_alpn_protocols(["h2", "pysocket/1"]);
  using server = await tlsServer(serverCtx);
  assert.ok(server instanceof ssl.SSLSocket);
  assert.ok(server instanceof socket.Socket);
  assert.equal(server.server_side, true);
  assert.match(String(server), /^<ssl\.SSLSocket fd=\d+, family=2, type=1/);

  const clientCtx = clientContext();
  clientCtx.set_alpn_protocols(["pysocket/1"]);
  const plain = await socket.create_connection(addressOf(server), 5);
  const [client, [conn, addr]] = await Promise.all([
    clientCtx.wrap_socket(plain, { server_hostname: "localhost" }),
    server.accept(),
  ]);
  using _client = client;
  using _conn = conn;
  assert.equal(plain.fileno(), -1, "wrap_socket detaches the plain socket");
  assert.ok(
    client instanceof ssl.SSLSocket && conn instanceof ssl.SSLSocket,
  );
  assert.equal(client.server_hostname, "localhost");
  assert.equal(client.server_side, false);
  assert.equal(conn.server_side, true);
  assert.equal(client.family, socket.AF_INET);
  assert.deepEqual(client.getpeername(), addressOf(server));
  assert.deepEqual(addr, client.getsockname());
  assert.equal(client.gettimeout(), 5, "the timeout carries over");
  assert.equal(client.selected_alpn_protocol(), "pysocket/1");
  assert.equal(conn.selected_alpn_protocol(), "pysocket/1");

  await client.sendall(enc.encode("ping"));
  await conn.sendall(await conn.recv(1024));
  assert.equal(dec.decode(await client.recv(1024)), "ping");
  await conn.sendall(enc.encode("pong"));
  const buf = new Uint8Array(16);
  assert.equal(await client.recv_into(buf), 4);
  assert.equal(dec.decode(buf.subarray(0, 4)), "pong");
});

tlsTest("create_tls_connection reaches a TLS server on ::1", async () => {
  let server: ssl.SSLSocket;
  try {
    server = await tlsServer(serverContext(), "::1");
  } catch (err) {
    if (
      err instanceof socket.OSError && err.errno === socket.errno.EADDRNOTAVAIL
    ) {
      console.warn("IPv6 loopback is unavailable: nothing to test");
      return;
    }
    throw err;
  }
  using _server = server;
  const [client, [conn]] = await Promise.all([
    ssl.create_tls_connection(["::1", addressOf(server)[1]], {
      context: clientContext(),
      timeout: 5,
    }),
    server.accept(),
  ]);
  using _client = client;
  using _conn = conn;
  assert.equal(client.family, socket.AF_INET6);
  assert.equal(client.server_hostname, "::1");
  assert.equal(client.gettimeout(), 5);
  await client.sendall(enc.encode("over v6"));
  assert.equal(dec.decode(await conn.recv(1024)), "over v6");
});

tlsTest(
  "`recv()` on an SSLSocket returns empty bytes at end of stream",
  async () => {
    using server = await tlsServer();
    const [client, conn] = await tlsPair(server);
    using _client = client;
    // Half-close: the client ends its direction and still gets the reply.
    await client.sendall(enc.encode("question"));
    await client.shutdown(socket.SHUT_WR);
    assert.equal(dec.decode(await recvAll(conn)), "question");
    await conn.sendall(enc.encode("answer"));
    conn.close();
    assert.equal(dec.decode(await recvAll(client)), "answer");
    assert.equal((await client.recv(1024)).length, 0, "and stays at the end");
  },
);

tlsTest("`sendall()` of 4 MiB each way over TLS arrives intact", async () => {
  using server = await tlsServer();
  const [client, conn] = await tlsPair(server);
  using _client = client;
  using _conn = conn;
  const size = 4 * 1024 * 1024;
  const up = new Uint8Array(size).map((_, i) => (i * 7 + (i >> 13)) & 0xff);
  const down = new Uint8Array(size).map((_, i) => (i * 13 + (i >> 11)) & 0xff);
  const send = async (sock: socket.Socket, data: Uint8Array) => {
    await sock.sendall(data);
    await sock.shutdown(socket.SHUT_WR);
  };
  const [, , atServer, atClient] = await within(
    Promise.all([
      send(client, up),
      send(conn, down),
      recvAll(conn),
      recvAll(client),
    ]),
    20_000,
    "4 MiB both ways",
  );
  assert.equal(atServer.length, size);
  assert.equal(atClient.length, size);
  assert.ok(atServer.every((b, i) => b === up[i]), "client to server intact");
  assert.ok(atClient.every((b, i) => b === down[i]), "server to client intact");
});

tlsTest(
  "an untrusted certificate is refused unless its CA is loaded",
  async () => {
    {
      using server = await tlsServer();
      const [clientError, serverError] = await failedHandshake(
        server,
        clientContext(null),
      );
      const err = assertVerification(clientError, 20);
      assert.match(err.message, /load_verify_locations/);
      assert.match(err.message, /--cert=/);
      assert.equal(
        err.verify_message,
        "unable to get local issuer certificate",
      );
      assert.ok(serverError instanceof ssl.SSLError, String(serverError));
      assert.equal(serverError.reason, "TLSV1_ALERT_UNKNOWN_CA");
      // With the CA loaded the same server is trusted.
      const [client, conn] = await tlsPair(server, clientContext());
      client.close();
      conn.close();
    }
    {
      // A self-signed certificate no loaded CA signed...
      using server = await tlsServer(
        serverContext(certs.selfCert, certs.selfKey),
      );
      const [clientError] = await failedHandshake(server, clientContext());
      assertVerification(clientError, 20);
      // ...is trusted once loaded as its own CA.
      const [client, conn] = await tlsPair(
        server,
        clientContext(certs.selfCert),
      );
      client.close();
      conn.close();
    }
  },
);

function assertVerification(
  err: unknown,
  code: number,
): ssl.SSLCertVerificationError {
  assert.ok(
    err instanceof ssl.SSLCertVerificationError,
    `expected SSLCertVerificationError, got ${err}`,
  );
  assert.ok(err instanceof ssl.SSLError && err instanceof socket.OSError);
  assert.ok(err instanceof ssl.CertificateError);
  assert.equal(err.reason, "CERTIFICATE_VERIFY_FAILED");
  assert.equal(err.verify_code, code);
  assert.match(
    err.message,
    /^\[SSL: CERTIFICATE_VERIFY_FAILED\] certificate verify failed: /,
  );
  return err;
}

tlsTest(
  "a host name mismatch is refused while check_hostname is on",
  async () => {
    using server = await tlsServer();
    const [clientError, serverError] = await failedHandshake(
      server,
      clientContext(),
      "example.com",
    );
    const err = assertVerification(clientError, 62);
    assert.match(
      err.verify_message,
      /certificate is not valid for 'example\.com'/,
    );
    assert.match(err.message, /localhost/, "says which names it holds");
    assert.match(err.message, /check_hostname = false/);
    assert.ok(serverError instanceof ssl.SSLError);

    // Without the name check the chain is still verified, and passes.
    const relaxed = clientContext();
    relaxed.check_hostname = false;
    assert.equal(relaxed.verify_mode, ssl.CERT_REQUIRED);
    const [client, conn] = await tlsPair(server, relaxed, "example.com");
    client.close();
    conn.close();
    // ...and still refuses an untrusted chain.
    const untrusting = clientContext(null);
    untrusting.check_hostname = false;
    assertVerification((await failedHandshake(server, untrusting))[0], 20);
  },
);

tlsTest("timeouts still work on SSLSockets", async () => {
  using server = await tlsServer();
  const [client, conn] = await tlsPair(server);
  using _client = client;
  using _conn = conn;
  client.settimeout(0.1);
  const started = performance.now();
  await rejectsWith(client.recv(1024), socket.TimeoutError, {
    message: "timed out",
  });
  const waited = performance.now() - started;
  assert.ok(waited >= 90 && waited < 2000, `waited ${waited} ms`);
  // Nothing is lost: bytes that come later go to the next recv.
  await conn.sendall(enc.encode("late"));
  client.settimeout(5);
  assert.equal(dec.decode(await client.recv(1024)), "late");

  // A listening SSLSocket's accept times out too.
  server.settimeout(0.1);
  await rejectsWith(server.accept(), socket.TimeoutError);

  // A peer that never answers the handshake: the client's handshake times
  // out within the socket's timeout.
  using silent = socket.create_server(["127.0.0.1", 0]);
  const plain = await socket.create_connection(addressOf(silent), 0.2);
  const [quiet] = await silent.accept();
  using _quiet = quiet;
  await rejectsWith(
    clientContext().wrap_socket(plain, { server_hostname: "localhost" }),
    socket.TimeoutError,
    { message: /handshake operation timed out/ },
  );

  // A client that connects but never starts TLS: the server's accept
  // times out during the handshake.
  server.settimeout(0.2);
  using _mute = await socket.create_connection(addressOf(server), 5);
  await rejectsWith(server.accept(), socket.TimeoutError, {
    message: /handshake/,
  });
});

tlsTest("a python3 ssl client talks to a pysocket TLS server", async () => {
  using server = await tlsServer();
  await using child = pythonChild(PY_CLIENT, [
    String(addressOf(server)[1]),
    certs.caCert,
  ], { lifetimeMs: 15_000 });
  server.settimeout(10);
  const [conn] = await server.accept();
  const request = await conn.recv(1024);
  await conn.sendall(enc.encode(dec.decode(request).toUpperCase()));
  conn.close();
  const { code, stdout } = await child.finished();
  assert.equal(code, 0, child.report());
  assert.match(stdout, /^REPLY HELLO FROM PYTHON TLSv1\.[23]$/m);
}, withPython);

tlsTest("a pysocket TLS client talks to a python3 ssl server", async () => {
  const [child, port] = await pythonServer(PY_SERVER, [
    certs.serverCert,
    certs.serverKey,
  ]);
  await using _child = child;
  {
    using client = await ssl.create_tls_connection(["127.0.0.1", port], {
      context: clientContext(),
      server_hostname: "localhost",
      timeout: 5,
    });
    await client.sendall(enc.encode("hello from deno"));
    // Python closes without a close_notify; that still reads as the end.
    assert.match(
      dec.decode(await recvAll(client)),
      /^HELLO FROM DENO TLSv1\.[23]$/,
    );
  }
  {
    const plain = await socket.create_connection(["127.0.0.1", port], 5);
    using client = await clientContext().wrap_socket(plain, {
      server_hostname: "localhost",
      suppress_ragged_eofs: false,
    });
    await client.sendall(enc.encode("strict"));
    assert.match(dec.decode(await client.recv(1024)), /^STRICT/);
    await rejectsWith(client.recv(1024), ssl.SSLEOFError, {
      reason: "UNEXPECTED_EOF_WHILE_READING",
      message: /close_notify/,
    });
  }
}, withPython);

tlsTest(
  "a client certificate reaches a python3 server that requires one",
  async () => {
    const [child, port] = await pythonServer(PY_SERVER, [
      certs.serverCert,
      certs.serverKey,
      certs.caCert,
    ]);
    await using _child = child;
    const withCert = clientContext();
    withCert.load_cert_chain(certs.clientCert, certs.clientKey);
    {
      using client = await ssl.create_tls_connection(["127.0.0.1", port], {
        context: withCert,
        timeout: 5,
      });
      await client.sendall(enc.encode("mtls"));
      assert.match(dec.decode(await recvAll(client)), /^MTLS TLSv1\.[23]$/);
      await child.waitFor("stdout", "CLIENT client");
    }
    {
      // Deno.startTls cannot send a client certificate: wrap_socket says so.
      using plain = await socket.create_connection(["127.0.0.1", port], 5);
      await rejectsWith(
        withCert.wrap_socket(plain, { server_hostname: "localhost" }),
        socket.OSError,
        { message: /create_tls_connection\(\)/ },
      );
    }
    {
      // Without one, the server's refusal arrives as an SSLError.
      using client = await ssl.create_tls_connection(["127.0.0.1", port], {
        context: clientContext(),
        timeout: 5,
      });
      const err = await rejectsWith(
        async () => {
          await client.sendall(enc.encode("no cert"));
          await client.recv(1024);
        },
        ssl.SSLError,
        { reason: "TLSV13_ALERT_CERTIFICATE_REQUIRED" },
      );
      assert.match(err.message, /load_cert_chain\(\)/);
    }
  },
  withPython,
);

tlsTest(
  "a TLS client of a plain TCP service gets WRONG_VERSION_NUMBER",
  async () => {
    using plainServer = socket.create_server(["127.0.0.1", 0]);
    const plain = await socket.create_connection(addressOf(plainServer), 5);
    const [peer] = await plainServer.accept();
    using _peer = peer;
    const answered = (async () => {
      await peer.recv(4096);
      await peer.sendall(enc.encode("SSH-2.0-OpenSSH_9.6\r\n"));
    })();
    await rejectsWith(
      clientContext().wrap_socket(plain, { server_hostname: "localhost" }),
      ssl.SSLError,
      { reason: "WRONG_VERSION_NUMBER", message: /plain TCP service/ },
    );
    await answered;
  },
);

tlsTest(
  "settings Deno cannot honour fail with errors that say why",
  async () => {
    const client = ssl.create_default_context();
    client.check_hostname = false;
    throwsWith(() => (client.verify_mode = ssl.CERT_NONE), socket.OSError, {
      message: /--unsafely-ignore-certificate-errors=<host>/,
    });
    assert.equal(client.verify_mode, ssl.CERT_REQUIRED);
    client.verify_mode = ssl.CERT_OPTIONAL; // Python: same as REQUIRED
    throwsWith(() => (client.verify_mode = 5), RangeError);

    const server = serverContext();
    assert.equal(server.verify_mode, ssl.CERT_NONE);
    throwsWith(
      () => (server.verify_mode = ssl.CERT_REQUIRED),
      socket.OSError,
      { message: /denoland\/deno#26825/ },
    );
    throwsWith(() => new ssl.SSLContext(2), RangeError);

    // Server side: only a listening socket can be wrapped.
    using plainServer = socket.create_server(["127.0.0.1", 0]);
    using peer = await socket.create_connection(addressOf(plainServer), 5);
    const [accepted] = await plainServer.accept();
    using _accepted = accepted;
    await rejectsWith(
      server.wrap_socket(accepted, { server_side: true }),
      socket.OSError,
      {
        errno: socket.errno.EINVAL,
        message: /wrap the listening socket instead/,
      },
    );
    assert.notEqual(accepted.fileno(), -1, "a refused socket stays usable");
    await rejectsWith(
      server.wrap_socket(socket.socket(), { server_side: true }),
      socket.OSError,
      { message: /bind\(\) and listen\(\)/ },
    );
    await rejectsWith(
      ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).wrap_socket(
        socket.create_server(["127.0.0.1", 0]),
        { server_side: true },
      ),
      ssl.SSLError,
      { message: /load_cert_chain/ },
    );
    await rejectsWith(
      clientContext().wrap_socket(plainServer, { server_side: true }),
      TypeError,
    );

    // Client side: connected sockets only, with a server_hostname.
    await rejectsWith(
      clientContext().wrap_socket(socket.socket(), { server_hostname: "x" }),
      socket.OSError,
      { errno: socket.errno.ENOTCONN },
    );
    await rejectsWith(clientContext().wrap_socket(peer), TypeError, {
      message: /check_hostname requires server_hostname/,
    });
    using udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
    await rejectsWith(
      clientContext().wrap_socket(udp, { server_hostname: "x" }),
      socket.OSError,
      { message: /TCP socket/ },
    );
  },
);

tlsTest(
  "certificate files load like Python's, and bad ones fail clearly",
  async () => {
    const ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH);
    throwsWith(
      () => ctx.load_cert_chain(`${certs.dir}/missing.pem`),
      socket.FileNotFoundError,
    );
    throwsWith(() => ctx.load_cert_chain(certs.serverCert), ssl.SSLError, {
      reason: "PEM_LIB",
      message: /no PEM private key/,
    });
    throwsWith(() => ctx.load_cert_chain(certs.serverKey), ssl.SSLError, {
      message: /no PEM certificate/,
    });
    ctx.load_cert_chain(certs.serverCombined); // certificate and key in one file

    // A key that does not belong to the certificate fails at wrap_socket.
    const mismatched = serverContext(certs.serverCert, certs.selfKey);
    await rejectsWith(
      mismatched.wrap_socket(socket.create_server(["127.0.0.1", 0]), {
        server_side: true,
      }),
      ssl.SSLError,
      { reason: "KEY_VALUES_MISMATCH" },
    );

    const client = ssl.create_default_context();
    throwsWith(() => client.load_verify_locations(), TypeError);
    throwsWith(
      () => client.load_verify_locations({ cadata: "not a certificate" }),
      ssl.SSLError,
      { reason: "NO_CERTIFICATE_OR_CRL_FOUND" },
    );
    const pem = await Deno.readTextFile(certs.caCert);
    const der = Uint8Array.from(
      atob(pem.replace(/-----[^-]+-----|\s/g, "")),
      (c) => c.charCodeAt(0),
    );
    client.load_verify_locations(null, null, der);
    client.load_verify_locations({ cadata: pem });
    const capath = await Deno.makeTempDir({ dir: certs.dir });
    await Deno.copyFile(certs.caCert, `${capath}/ca.pem`);
    client.load_verify_locations(null, capath);
    assert.deepEqual(client.cert_store_stats(), {
      x509: 3,
      crl: 0,
      x509_ca: 3,
    });

    // The CA from DER bytes is the one that signed the server.
    const fromDer = ssl.create_default_context(undefined, { cadata: der });
    using server = await tlsServer();
    const [c, s] = await tlsPair(server, fromDer);
    c.close();
    s.close();
  },
);

tlsTest(
  "makefile() on TLS sockets reads and writes lines, and reads end of stream when the peer closes",
  async () => {
    using server = await tlsServer();
    const [client, conn] = await tlsPair(server);
    using _client = client;
    const cfile = client.makefile("rw", { encoding: "utf-8" });
    const sfile = conn.makefile("rw", { encoding: "utf-8" });
    await cfile.write("héllo over TLS\n");
    await cfile.flush();
    assert.equal(await sfile.readline(), "héllo over TLS\n");
    await sfile.write("bye\n");
    await sfile.close();
    conn.close();
    assert.deepEqual(await cfile.readlines(), ["bye\n"]);
    await cfile.close();
  },
);

tlsTest(
  "flags on a TLS socket's recv, send and sendall are a ValueError, as in Python",
  async () => {
    using server = await tlsServer();
    const [client, conn] = await tlsPair(server);
    using _client = client;
    using _conn = conn;
    const message =
      /non-zero flags not allowed in calls to recv\(\) on SSLSocket/;
    await rejectsWith(client.recv(4, socket.MSG_WAITALL), socket.ValueError, {
      message,
    });
    await rejectsWith(client.send(enc.encode("x"), 1), socket.ValueError);
    await rejectsWith(client.sendall(enc.encode("x"), 1), socket.ValueError);
    await client.sendall(enc.encode("ok"));
    assert.equal(dec.decode(await conn.recv(2, 0)), "ok");
  },
);

tlsTest(
  "makefile() on a TLS socket reads to the end when a python3 server closes without close_notify",
  async () => {
    const [child, port] = await pythonServer(PY_SERVER, [
      certs.serverCert,
      certs.serverKey,
    ]);
    await using _child = child;
    const plain = await socket.create_connection(["127.0.0.1", port], 5);
    using client = await clientContext().wrap_socket(plain, {
      server_hostname: "localhost",
    });
    const file = client.makefile("rwb");
    await file.write(enc.encode("hello"));
    await file.flush();
    // Python's close() sends no close_notify: the file's reads go through
    // SSLSocket.recv, which reads that ragged end as end of stream.
    assert.match(dec.decode(await file.read()), /^HELLO TLSv1\.[23]$/);
    await file.close();
  },
  withPython,
);
