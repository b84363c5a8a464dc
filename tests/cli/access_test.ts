/**
 * `--allow` and `--deny`: the matcher on its own (`lib/access.ts`), the
 * command-line checks, and refused peers on real loopback sockets for
 * every server: the room, the tutorial's TCP server, the stream server and
 * the UDP server.
 *
 * A refused peer needs a second loopback address. IPv4 loopback is all of
 * 127.0.0.0/8 on Linux, so a python peer bound to 127.0.0.2 is "another
 * host"; where IPv6 exists, a `::` listener also sees 127.0.0.1 (as
 * `::ffff:127.0.0.1`) and ::1. Elsewhere those tests are ignored and say
 * why (`needs()` in `_support/platform.ts`).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  AccessList,
  matchesRule,
  parseAccessRule,
} from "../../lib/cli/_access.ts";
import { needs, notOn } from "../_support/platform.ts";
import { listeningPort, pysocket, runPysocket } from "../_support/pysocket.ts";
import { runPython } from "../_support/python.ts";
import { isolatedTest } from "../_support/isolated_net.ts";

Deno.test("parseAccessRule() keeps addresses and clears host bits of ranges", () => {
  assert.equal(parseAccessRule("192.0.2.7").text, "192.0.2.7/32");
  assert.equal(parseAccessRule("10.1.2.3/8").text, "10.0.0.0/8");
  assert.equal(parseAccessRule("0.0.0.0/0").text, "0.0.0.0/0");
  assert.equal(parseAccessRule("::1").text, "::1/128");
  assert.equal(parseAccessRule("[2001:db8::1]/32").text, "2001:db8::/32");
  assert.equal(parseAccessRule("fe80::1%eth0/10").text, "fe80::/10");
  assert.equal(parseAccessRule(" 172.16.0.0/12 ").prefix, 12);
});

Deno.test("parseAccessRule() refuses names, bad prefixes and junk, saying what to give", () => {
  assert.throws(() => parseAccessRule("localhost"), {
    name: "TypeError",
    message: /not a host name \(localhost is 127\.0\.0\.1 and ::1\)/,
  });
  assert.throws(() => parseAccessRule("10.0.0.0/33"), {
    message: /give \/0 to \/32 for IPv4/,
  });
  assert.throws(() => parseAccessRule("::/129"), {
    message: /give \/0 to \/128 for IPv6/,
  });
  assert.throws(() => parseAccessRule("10.0.0.0/"), TypeError);
  assert.throws(() => parseAccessRule("10.0.0.0/-1"), TypeError);
  assert.throws(() => parseAccessRule("10.0.0.256"), TypeError);
  assert.throws(() => parseAccessRule("1.2.3"), TypeError);
  assert.throws(() => parseAccessRule(""), TypeError);
});

Deno.test("matchesRule() compares the leading bits, at byte and bit boundaries", () => {
  const cases: [string, string, boolean][] = [
    ["10.0.0.0/8", "10.255.255.255", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["192.168.4.0/22", "192.168.7.255", true],
    ["192.168.4.0/22", "192.168.8.0", false],
    ["192.168.4.0/22", "192.168.3.255", false],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["203.0.113.9", "203.0.113.9", true],
    ["203.0.113.9", "203.0.113.8", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["fe80::/10", "febf::1", true],
    ["fe80::/10", "fec0::1", false],
    ["::1", "::1", true],
    ["::1", "::2", false],
    ["::/0", "2001:db8::1", true],
    // An IPv4 peer on a dual-stack listener is reported IPv4-mapped.
    ["127.0.0.0/8", "::ffff:127.0.0.1", true],
    ["10.0.0.0/8", "::ffff:127.0.0.1", false],
    // An IPv4 peer meets IPv6 rules as its IPv4-mapped address, on every
    // listener (a dual-stack one reports it so); IPv6 peers never meet IPv4
    // rules.
    ["::ffff:0:0/96", "127.0.0.1", true],
    ["::ffff:127.0.0.1", "127.0.0.1", true],
    ["::ffff:127.0.0.2", "127.0.0.1", false],
    ["::/0", "127.0.0.1", true],
    ["::1", "127.0.0.1", false],
    ["0.0.0.0/0", "::1", false],
    // Not an address at all.
    ["0.0.0.0/0", "/tmp/chat.sock", false],
    ["0.0.0.0/0", "localhost", false],
  ];
  for (const [rule, ip, expected] of cases) {
    assert.equal(
      matchesRule(parseAccessRule(rule), ip),
      expected,
      `${rule} vs ${ip}`,
    );
  }
});

Deno.test("AccessList: deny wins over allow; allow, when given, is a closed list", () => {
  const open = new AccessList();
  assert.equal(open.empty, true);
  assert.equal(open.check("198.51.100.1"), null);

  const denyOnly = new AccessList({ deny: ["10.0.0.0/8", "::1"] });
  assert.equal(denyOnly.check("10.1.1.1"), "in --deny 10.0.0.0/8");
  assert.equal(denyOnly.check("::1"), "in --deny ::1/128");
  assert.equal(denyOnly.check("192.0.2.1"), null);

  const both = new AccessList({
    allow: ["10.0.0.0/8", "2001:db8::/32"],
    deny: ["10.0.0.13"],
  });
  assert.equal(both.allows("10.0.0.12"), true);
  assert.equal(both.allows("2001:db8::5"), true);
  assert.equal(both.check("10.0.0.13"), "in --deny 10.0.0.13/32");
  assert.equal(
    both.check("192.0.2.1"),
    "not in --allow 10.0.0.0/8,2001:db8::/32",
  );
  // A Unix peer has no address: with rules it is refused.
  assert.notEqual(both.check("/tmp/peer.sock"), null);
});

Deno.test("the command line checks --allow/--deny entries and where they apply", async () => {
  const cases: [string[], RegExp][] = [
    [["tcp-server", "--allow", "localhost"], /--allow: .*not a host name/],
    [["tcp-server", "--deny", "10.0.0.0/40"], /--deny: bad prefix length/],
    [
      ["tcp-server", "--unix", "/tmp/x.sock", "--allow", "::1"],
      /do not apply to --unix/,
    ],
    [["udp-server", "--allow", "1.2.3.4/x"], /--allow: bad prefix/],
    [["tcp-client", "--allow", "::1"], /unknown option '--allow'/],
  ];
  for (const [args, message] of cases) {
    const { code, stderr: text } = await runPysocket(args, { flags: [] });
    assert.equal(code, 2, `${args.join(" ")}: ${text}`);
    assert.match(text, message);
  }
});

/** Connects a python peer bound to `source`, and reports what it got. */
function pythonFrom(source: string, host: string, port: number) {
  const family = host.includes(":") ? "AF_INET6" : "AF_INET";
  return runPython(
    `import socket,sys
s=socket.socket(socket.${family})
s.bind((${JSON.stringify(source)},0))
s.settimeout(5)
s.connect((${JSON.stringify(host)},${port}))
try:
    data=s.recv(4096)
    print("got %r" % data if data else "closed")
except ConnectionResetError:
    print("closed")`,
  ).then(({ stdout, stderr }) => stdout + stderr);
}

/** The peers bind 127.0.0.2, another host on the loopback network. */
const fromElsewhere = needs("python", "loopback-range");
/** A `::` listener that also takes IPv4 peers, as `::ffff:127.0.0.1`. */
const dualStack = needs(
  "python",
  "ipv6",
  notOn(
    ["windows"],
    "needs a :: listener that takes IPv4 too; IPV6_V6ONLY is on there",
  ),
);

Deno.test(
  `a denied client is closed before any byte, on every TCP server${fromElsewhere.why}`,
  {
    ignore: fromElsewhere.ignore,
  },
  async () => {
    for (
      const mode of [["--room"], [], ["--stream"], ["--stream", "--echo"]]
    ) {
      await using server = pysocket([
        "tcp-server",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--deny",
        "127.0.0.2/32",
        ...mode,
      ]);
      const port = await listeningPort(server);
      const denied = await pythonFrom("127.0.0.2", "127.0.0.1", port);
      assert.equal(denied.trim(), "closed", `${mode}: ${denied}`);
      await server.waitFor(
        "stderr",
        /127\.0\.0\.2:\d+ denied: in --deny 127\.0\.0\.2\/32\n/,
      );
      // Someone else still gets in (and is greeted, where the mode greets).
      const admitted = pythonFrom("127.0.0.1", "127.0.0.1", port);
      if (mode[0] === "--room" || mode.length === 0) {
        assert.match(await admitted, /^got b'(\* welcome|hello)/, `${mode}`);
      } else {
        await server.waitFor("stderr", /127\.0\.0\.1 connected/);
        server.kill("SIGKILL");
        await admitted;
      }
    }
  },
);

// A "::" room listens on every interface: it runs in a private network
// namespace (tests never listen on the wildcard where the network can reach).
isolatedTest(
  import.meta.url,
  `--allow ::1 on a dual-stack room admits ::1 and closes 127.0.0.1${dualStack.why}`,
  async () => {
    await using server = pysocket([
      "tcp-server",
      "--room",
      "-6",
      "--host",
      "::",
      "--port",
      "0",
      "--allow",
      "::1",
    ], { flags: ["--unstable-net", "--allow-net"] });
    const port = await listeningPort(server);
    assert.equal(
      (await pythonFrom("127.0.0.1", "127.0.0.1", port)).trim(),
      "closed",
    );
    await server.waitFor(
      "stderr",
      /\[::ffff:127\.0\.0\.1\]:\d+ denied: not in --allow ::1\/128\n/,
    );
    assert.match(
      await pythonFrom("::1", "::1", port),
      /^got b'\* welcome, you are \[::1\]:/,
    );
    assert.doesNotMatch(server.stdout, /welcome/);
  },
  dualStack.ignore,
);

Deno.test(
  `the UDP server drops a denied datagram and answers the others${fromElsewhere.why}`,
  {
    ignore: fromElsewhere.ignore,
  },
  async () => {
    await using server = pysocket([
      "udp-server",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--echo",
      "--deny",
      "127.0.0.2",
    ]);
    const port = await listeningPort(server);
    const ask = (source: string) =>
      runPython(
        `import socket
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((${JSON.stringify(source)},0))
s.settimeout(1)
s.sendto(b"hi from ${source}", ("127.0.0.1", ${port}))
try:
    print("reply %r" % s.recv(100))
except socket.timeout:
    print("no reply")`,
      ).then(({ stdout }) => stdout.trim());
    const [denied, admitted] = await Promise.all([
      ask("127.0.0.2"),
      ask("127.0.0.1"),
    ]);
    assert.equal(denied, "no reply");
    assert.equal(admitted, "reply b'hi from 127.0.0.1'");
    await server.waitFor("stdout", "client>hi from 127.0.0.1\n");
    assert.doesNotMatch(server.stdout + server.stderr, /127\.0\.0\.2/);
  },
);
