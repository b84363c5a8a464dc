/**
 * Names from numbers and back: `getservbyname`, `getservbyport`,
 * `getnameinfo` and `getfqdn`, compared with python3 where both know the
 * answer. Only numeric addresses, 127.0.0.1 and localhost are looked up
 * (the hosts file answers them), never a name off this machine.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith, throwsWith } from "../_support/assert.ts";
import { needs, onlyOn } from "../_support/platform.ts";
import { pythonJson } from "../_support/python.ts";
import { MOD_URL } from "../_support/paths.ts";
import { run } from "../_support/process.ts";
import { tempDir } from "../_support/temp_dir.ts";

const {
  getfqdn,
  getnameinfo,
  getservbyname,
  getservbyport,
  NI_DGRAM,
  NI_NAMEREQD,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
} = socket;

const python = needs("python");
/** Python reads the system's services file; Linux's lists these names. */
const pythonServices = needs(
  "python",
  onlyOn(["linux"], "compares with the services file of a Linux system"),
);

const NAMES: [string, string | null][] = [
  ["http", null],
  ["www", "tcp"],
  ["http", "udp"],
  ["https", "tcp"],
  ["ssh", null],
  ["ssh", "udp"],
  ["domain", "udp"],
  ["ntp", "tcp"],
  ["ntp", "udp"],
  ["syslog", null],
  ["smtp", "tcp"],
  ["mail", "tcp"],
  ["imap", null],
  ["postgresql", null],
  ["no-such-service", null],
];
const PORTS: [number, string | null][] = [
  [22, null],
  [53, "udp"],
  [80, null],
  [80, "udp"],
  [123, null],
  [443, "tcp"],
  [514, null],
  [514, "udp"],
  [5432, "tcp"],
  [9, null],
  [64999, null],
];

type Outcome = [kind: "ok", value: number | string] | [
  kind: "error",
  message: string,
];

function outcome(f: () => number | string): Outcome {
  try {
    return ["ok", f()];
  } catch (err) {
    return ["error", (err as Error).message];
  }
}

Deno.test(
  `getservbyname() and getservbyport() give python3's answers for entries both know, and its errors otherwise${pythonServices.why}`,
  { ignore: pythonServices.ignore },
  async () => {
    const python = await pythonJson<[Outcome[], Outcome[]]>(
      "[[run(lambda: socket.getservbyname(n, *([p] if p else []))) for n, p in NAMES], " +
        "[run(lambda: socket.getservbyport(n, *([p] if p else []))) for n, p in PORTS]]",
      `
NAMES = json.loads(${JSON.stringify(JSON.stringify(NAMES))})
PORTS = json.loads(${JSON.stringify(JSON.stringify(PORTS))})
def run(f):
    try:
        return ["ok", f()]
    except OSError as e:
        return ["error", str(e)]
`,
    );
    const mine = [
      NAMES.map(([n, p]) => outcome(() => getservbyname(n, p))),
      PORTS.map(([n, p]) => outcome(() => getservbyport(n, p))),
    ];
    assert.deepEqual(mine, python);
  },
);

Deno.test("getservbyport() refuses ports outside 0-65535 with Python's OverflowError, and non-integers with TypeError", () => {
  throwsWith(() => getservbyport(70000), socket.OverflowError, {
    message: "getservbyport: port must be 0-65535.",
  });
  throwsWith(() => getservbyport(-1), socket.OverflowError);
  throwsWith(() => getservbyport(80.5), TypeError);
  throwsWith(
    () => getservbyname("http", "sctp"),
    socket.OSError,
    { message: "service/proto not found" },
  );
});

Deno.test("getnameinfo() with numeric flags never looks anything up and gives the port as a number or a service name", async () => {
  const numeric = NI_NUMERICHOST | NI_NUMERICSERV;
  assert.deepEqual(await getnameinfo(["127.0.0.1", 80], numeric), [
    "127.0.0.1",
    "80",
  ]);
  assert.deepEqual(await getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST), [
    "127.0.0.1",
    "http",
  ]);
  assert.deepEqual(
    await getnameinfo(["127.0.0.1", 514], NI_NUMERICHOST | NI_DGRAM),
    ["127.0.0.1", "syslog"],
  );
  assert.deepEqual(await getnameinfo(["127.0.0.1", 9999], NI_NUMERICHOST), [
    "127.0.0.1",
    "9999",
  ]);
  // IPv6 addresses come back in their short form, with the scope number.
  assert.deepEqual(await getnameinfo(["0:0::1", 22, 0, 0], numeric), [
    "::1",
    "22",
  ]);
  assert.deepEqual(await getnameinfo(["fe80::1", 22, 0, 2], numeric), [
    "fe80::1%2",
    "22",
  ]);
});

Deno.test("getnameinfo() refuses what Python refuses: names, bad tuples, IPv4 with four fields, ports out of range", async () => {
  await rejectsWith(
    () => getnameinfo(["localhost", 80], NI_NUMERICHOST),
    socket.gaierror,
    { message: /Name or service not known/ },
  );
  await rejectsWith(
    // deno-lint-ignore no-explicit-any
    () => getnameinfo(["127.0.0.1"] as any, 0),
    TypeError,
    { message: "getnameinfo(): illegal sockaddr argument" },
  );
  await rejectsWith(
    // deno-lint-ignore no-explicit-any
    () => getnameinfo("127.0.0.1" as any, 0),
    TypeError,
    { message: "getnameinfo() argument 1 must be a tuple" },
  );
  await rejectsWith(
    () => getnameinfo(["1.2.3.4", 80, 0, 0], NI_NUMERICHOST),
    socket.OSError,
    { message: "IPv4 sockaddr must be 2 tuple" },
  );
  await rejectsWith(
    () => getnameinfo(["127.0.0.1", 70000], NI_NUMERICHOST),
    socket.OverflowError,
  );
});

Deno.test(
  `getnameinfo() without NI_NUMERICHOST names 127.0.0.1 from the hosts file, as python3 does${python.why}`,
  { ignore: python.ignore },
  async () => {
    const theirs = await pythonJson<string[]>(
      'list(socket.getnameinfo(("127.0.0.1", 80), 0))',
    );
    assert.deepEqual(await getnameinfo(["127.0.0.1", 80], 0), theirs);
    assert.deepEqual(
      await getnameinfo(["127.0.0.1", 80], NI_NAMEREQD),
      theirs,
    );
  },
);

Deno.test(
  `getfqdn() gives the name the hosts file has for 127.0.0.1 and localhost, as python3 does${python.why}`,
  {
    ignore: python.ignore,
  },
  async () => {
    const theirs = await pythonJson<string[]>(
      '[socket.getfqdn("127.0.0.1"), socket.getfqdn("localhost"), socket.getfqdn("  127.0.0.1 ")]',
    );
    assert.deepEqual(
      [
        await getfqdn("127.0.0.1"),
        await getfqdn("localhost"),
        await getfqdn("  127.0.0.1 "),
      ],
      theirs,
    );
  },
);

const SANDBOXED = `
import * as socket from "${MOD_URL}";
const out = [
  socket.getservbyname("https"),
  await socket.getnameinfo(["127.0.0.1", 443], socket.NI_NUMERICHOST),
];
try {
  await socket.getnameinfo(["127.0.0.1", 443], 0);
  out.push("looked up");
} catch (err) {
  out.push([err.constructor.name, err.message]);
}
console.log(JSON.stringify(out));
`;

Deno.test("without any permission, getservbyname and numeric getnameinfo work, and a reverse lookup is a PermissionError naming the flag", async () => {
  using dir = tempDir();
  const script = dir.join("names.ts");
  Deno.writeTextFileSync(script, SANDBOXED);
  const { code, stdout, stderr } = await run(
    Deno.execPath(),
    ["run", "--no-prompt", script],
    { cwd: dir.path },
  );
  assert.equal(code, 0, stderr);
  const [port, numeric, refused] = JSON.parse(stdout);
  assert.equal(port, 443);
  assert.deepEqual(numeric, ["127.0.0.1", "https"]);
  assert.equal(refused[0], "PermissionError");
  assert.match(refused[1], /--allow-net=127\.0\.0\.1/);
});
