/**
 * Text helpers: `bytes`, `str` (compared with python3), decoding characters
 * split across `recv` calls, `escapeControl`, `LineSplitStream`,
 * `LineReader` on a real socket, and `input()` reading a piped stdin in a
 * subprocess, compared line for line with python3's `input()`.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { escapeControl } from "../../lib/cli/_escape.ts";
import { LineReader } from "../../lib/socket/_line_reader.ts";
import { throwsWith } from "../_support/assert.ts";
import { tcpPair } from "../_support/net.ts";
import { MOD_URL } from "../_support/paths.ts";
import { run } from "../_support/process.ts";
import { needs, notOn } from "../_support/platform.ts";
import { pythonJson, runPython } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { sleep } from "../_support/wait.ts";

const { bytes, str } = socket;

const python = needs("python");
const pythonKeepsCr = needs(
  "python",
  notOn(["windows"], "Python reads stdin with newline translation there"),
);

Deno.test("a UTF-8 character split across two recv() calls decodes whole with one TextDecoder in stream mode", async () => {
  using pair = await tcpPair();
  const decoder = new TextDecoder();
  const pieces: string[] = [];
  // "hé" then "!😀": é (c3 a9) is cut after c3, 😀 (f0 9f 98 80) after f0 9f.
  const chunks = [[0x68, 0xc3], [0xa9, 0x21, 0xf0, 0x9f], [0x98, 0x80]];
  for (const chunk of chunks) {
    await pair.client.sendall(new Uint8Array(chunk));
    const data = await pair.conn.recv(1024);
    assert.deepEqual(Array.from(data), chunk, "one chunk per recv()");
    pieces.push(decoder.decode(data, { stream: true }));
  }
  pieces.push(decoder.decode());
  assert.deepEqual(pieces, ["h", "é!", "😀", ""]);
  // Decoding each chunk on its own is what goes wrong:
  assert.equal(str(new Uint8Array(chunks[0]), "utf-8", "replace"), "h\ufffd");
  throwsWith(
    () => str(new Uint8Array(chunks[0]), "utf-8"),
    socket.UnicodeDecodeError,
    { reason: "unexpected end of data", start: 1, end: 2 },
  );
});

/** A small deterministic generator, so failures can be replayed. */
function* randomBytes(seed: number): Generator<Uint8Array> {
  let state = seed;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  const pieces = [
    [0x41],
    [0xc3, 0xa9],
    [0xe4, 0xb8, 0x96],
    [0xf0, 0x9f, 0x98, 0x80],
    [0xed, 0xa0, 0x80],
    [0xc0, 0xaf],
    [0xf4, 0x90, 0x80, 0x80],
    [0xff],
    [0x80],
  ];
  while (true) {
    const out: number[] = [];
    const length = next() % 12;
    for (let i = 0; i < length; i++) {
      const r = next();
      if (r % 3 === 0) out.push((r >>> 8) & 0xff);
      else {
        const piece = pieces[(r >>> 8) % pieces.length];
        // Sometimes keep only the start of a multi-byte sequence.
        out.push(...piece.slice(0, 1 + ((r >>> 16) % piece.length)));
      }
    }
    yield new Uint8Array(out);
  }
}

Deno.test(
  `str() decodes like python3's str(): same text with 'replace' and 'ignore', same UnicodeDecodeError when strict${python.why}`,
  { ignore: python.ignore },
  async () => {
    const inputs: Uint8Array[] = [
      new Uint8Array([0xff]),
      new Uint8Array([0x68, 0x69, 0xc3]),
      new Uint8Array([0xe2, 0x82]),
      new Uint8Array([0xe2, 0x82, 0x41]),
      new Uint8Array([0xed, 0xa0, 0x80]),
      new Uint8Array([0xf4, 0x90, 0x80, 0x80]),
      new Uint8Array([0xc0, 0xaf]),
      new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), // a BOM is kept, as in Python
      bytes("héllo 世界 😀"),
    ];
    const generator = randomBytes(2024);
    for (let i = 0; i < 300; i++) inputs.push(generator.next().value!);
    const asLists = inputs.map((b) => Array.from(b));
    const python = await pythonJson<unknown[][]>(
      "[run(bytes(b)) for b in INPUTS]",
      `
INPUTS = json.loads(${JSON.stringify(JSON.stringify(asLists))})
def run(b):
    out = [b.decode("utf-8", "replace"), b.decode("utf-8", "ignore")]
    try:
        out.append(str(b, encoding="utf-8"))
    except UnicodeDecodeError as e:
        out.append([str(e), e.start, e.end, e.reason])
    try:
        out.append(str(b, encoding="ascii"))
    except UnicodeDecodeError as e:
        out.append([str(e), e.start, e.end, e.reason])
    return out
`,
    );
    const strict = (data: Uint8Array, encoding: string): unknown => {
      try {
        return str(data, encoding);
      } catch (err) {
        assert.ok(err instanceof socket.UnicodeDecodeError, String(err));
        return [err.message, err.start, err.end, err.reason];
      }
    };
    inputs.forEach((data, i) => {
      const label = `bytes [${Array.from(data, (b) => b.toString(16))}]`;
      const [replaced, ignored, utf8, ascii] = python[i];
      assert.equal(str(data, "utf-8", "replace"), replaced, `${label} replace`);
      assert.equal(str(data, "utf-8", "ignore"), ignored, `${label} ignore`);
      for (const [encoding, theirs] of [["utf-8", utf8], ["ascii", ascii]]) {
        const mine = strict(data, encoding as string);
        if (typeof theirs === "string") {
          assert.equal(mine, theirs, `${label} ${encoding}`);
        } else {
          // Our message is Python's plus a hint on how to decode anyway.
          const [message, ...rest] = mine as [string, number, number, string];
          const [pyMessage, ...pyRest] = theirs as [string, number, number];
          assert.ok(
            message.startsWith(pyMessage),
            `${label} ${encoding}: ${message}\n  python: ${pyMessage}`,
          );
          assert.deepEqual(
            rest,
            pyRest,
            `${label} ${encoding} start/end/reason`,
          );
        }
      }
    });
  },
);

Deno.test("str() with errors 'replace' never throws, whatever the bytes", () => {
  const generator = randomBytes(7);
  for (let i = 0; i < 2000; i++) {
    const data = generator.next().value!;
    const decoded = str(data, "utf-8", "replace");
    assert.equal(typeof decoded, "string");
    assert.equal(typeof str(data, "ascii", "replace"), "string");
    assert.equal(typeof str(data, "latin-1"), "string");
  }
});

Deno.test("UnicodeDecodeError is thrown for invalid bytes when strict, and is a TypeError", () => {
  const err = throwsWith(
    () => str(new Uint8Array([0xff])),
    socket.UnicodeDecodeError,
    {
      encoding: "utf-8",
      start: 0,
      end: 1,
      reason: "invalid start byte",
    },
  );
  assert.ok(err instanceof TypeError);
  assert.ok(!(err instanceof socket.OSError));
  throwsWith(() => str(new Uint8Array([1]), "utf-16"), RangeError);
  throwsWith(
    () => str(new Uint8Array([1]), "utf-8", "bogus" as socket.DecodeErrors),
    RangeError,
  );
});

Deno.test(
  `bytes() encodes like python3's bytes(), and UnicodeEncodeError carries Python's message${python.why}`,
  { ignore: python.ignore },
  async () => {
    const cases: [string, string][] = [
      ["héllo 世界 😀", "utf-8"],
      ["héllo 世界 😀", "UTF8"],
      ["plain", "ascii"],
      ["héllo", "latin-1"],
      ["héllo", "iso-8859-1"],
      ["é", "ascii"],
      ["a世", "latin-1"],
      ["ab😀é", "ascii"],
      ["x😀", "latin-1"],
    ];
    const python = await pythonJson<unknown[]>(
      "[run(t, e) for t, e in CASES]",
      `
CASES = json.loads(${JSON.stringify(JSON.stringify(cases))})
def run(t, e):
    try:
        return list(bytes(t, encoding=e))
    except UnicodeEncodeError as x:
        return str(x)
`,
    );
    cases.forEach(([t, e], i) => {
      const theirs = python[i];
      if (typeof theirs === "string") {
        throwsWith(() => bytes(t, e), socket.UnicodeEncodeError, {
          message: theirs,
        }, `bytes(${JSON.stringify(t)}, ${e})`);
      } else {
        assert.deepEqual(Array.from(bytes(t, e)), theirs, `${t} ${e}`);
      }
    });
    assert.deepEqual(bytes("hi"), new Uint8Array([104, 105]), "utf-8 default");
    throwsWith(() => bytes("x", "cp1252"), RangeError, { message: /cp1252/ });
  },
);

Deno.test("escapeControl() makes terminal control characters visible and keeps the rest", () => {
  const table: [string, string, boolean?][] = [
    ["hi\x1b[2J", "hi\\x1b[2J"],
    ["a\r\nb", "a\\r\nb"],
    ["a\nb", "a\\nb", false],
    ["tab\tstays", "tab\tstays"],
    ["\x00\x07\x08\x7f", "\\x00\\x07\\x08\\x7f"],
    ["\x9b31m", "\\x9b31m"],
    ["evil\u202etxt.exe", "evil\\u202etxt.exe"],
    ["\u2066isolate\u2069", "\\u2066isolate\\u2069"],
    ["héllo 世界 😀 ~", "héllo 世界 😀 ~"],
    ["", ""],
  ];
  for (const [input, expected, keep] of table) {
    assert.equal(
      escapeControl(input, keep ?? true),
      expected,
      JSON.stringify(input),
    );
  }
});

Deno.test("LineReader reads lines from a socket whatever the read sizes: CRLF, split characters, a last line without newline", async () => {
  using pair = await tcpPair();
  await pair.client.sendall(bytes("one\r\ntwo\n\nthrée 世界\n"));
  await pair.client.sendall(new Uint8Array([0x62, 0xff, 0x0a]));
  await pair.client.sendall(bytes("last 😀"));
  pair.client.close();
  // Hand out at most 3 bytes per read, so every line and most characters
  // are split between reads.
  const reader = new LineReader({
    async read(p: Uint8Array) {
      const data = await pair.conn.recv(Math.min(p.length, 3));
      if (data.length === 0) return null;
      p.set(data);
      return data.length;
    },
  });
  const lines: (string | null)[] = [];
  for (let i = 0; i < 7; i++) lines.push(await reader.readLine());
  assert.deepEqual(lines, [
    "one",
    "two",
    "",
    "thrée 世界",
    "b\ufffd",
    "last 😀",
    null,
  ]);
});

Deno.test("a LineReader.readLine() abandoned in a race loses nothing", async () => {
  using pair = await tcpPair();
  const reader = new LineReader({
    async read(p: Uint8Array) {
      const data = await pair.conn.recv(p.length);
      if (data.length === 0) return null;
      p.set(data);
      return data.length;
    },
  });
  const first = reader.readLine();
  const winner = await Promise.race([first, sleep(30).then(() => "timer")]);
  assert.equal(winner, "timer");
  await pair.client.sendall(bytes("hello\nworld\n"));
  const second = reader.readLine();
  assert.equal(await first, "hello");
  assert.equal(await second, "world");
});

// input() in a child process, compared with python3's input().

const INPUT_SCRIPT = `
import * as socket from "${MOD_URL}";
const prompt = Deno.args[0] ?? "";
while (true) {
  let line;
  try {
    line = await socket.input(prompt);
  } catch (err) {
    if (!(err instanceof socket.EOFError)) throw err;
    console.log(\`EOFError: \${err.message}\`);
    break;
  }
  console.log(\`got \${JSON.stringify(line)}\`);
}
`;

const PYTHON_INPUT = `
import json, sys
prompt = sys.argv[1] if len(sys.argv) > 1 else ""
while True:
    try:
        line = input(prompt)
    except EOFError as e:
        print("EOFError: %s" % e)
        break
    print("got %s" % json.dumps(line, ensure_ascii=False))
`;

Deno.test(
  `input() reads piped stdin line by line like python3's input(): empty lines, a last line without newline, then EOFError, with and without a prompt${python.why}`,
  { ignore: python.ignore },
  async () => {
    using dir = tempDir();
    const script = dir.join("input.ts");
    Deno.writeTextFileSync(script, INPUT_SCRIPT);
    const stdins = [
      "one\ntwo\n\nthrée 世界\nlast without newline",
      "",
      "only\n",
    ];
    // One pair of programs at a time: twelve at once starve a loaded
    // 2-core machine past the Python helper's time limit.
    const outputs: string[] = [];
    for (const stdin of stdins) {
      for (const promptArgs of [[], ["server>"]]) {
        const [mine, theirs] = await Promise.all([
          run(Deno.execPath(), ["run", "--no-prompt", script, ...promptArgs], {
            stdin,
          }),
          runPython(PYTHON_INPUT, promptArgs, { stdin }),
        ]);
        const label = `stdin ${JSON.stringify(stdin)} prompt ${promptArgs}`;
        assert.equal(mine.code, 0, `${label}: ${mine.stderr}`);
        assert.equal(theirs.code, 0, `${label}: ${theirs.stderr}`);
        assert.equal(mine.stdout, theirs.stdout, label);
        assert.equal(mine.stderr, "");
        outputs.push(mine.stdout);
      }
    }
    assert.equal(
      outputs[1],
      'server>got "one"\nserver>got "two"\nserver>got ""\nserver>got "thrée 世界"\n' +
        'server>got "last without newline"\nserver>EOFError: EOF when reading a line\n',
    );
    assert.equal(outputs[2], "EOFError: EOF when reading a line\n");
  },
);

Deno.test("input() turns invalid UTF-8 on stdin into U+FFFD instead of failing", async () => {
  using dir = tempDir();
  const script = dir.join("input.ts");
  Deno.writeTextFileSync(script, INPUT_SCRIPT);
  const done = await run(Deno.execPath(), ["run", "--no-prompt", script], {
    stdin: new Uint8Array([0x61, 0xff, 0x62, 0x0a]),
  });
  assert.equal(done.code, 0, done.stderr);
  assert.equal(
    done.stdout,
    'got "a\ufffdb"\nEOFError: EOF when reading a line\n',
  );
});

Deno.test(
  `input() drops the \\r of a CRLF line ending, where python3 on Linux keeps it${pythonKeepsCr.why}`,
  { ignore: pythonKeepsCr.ignore },
  async () => {
    using dir = tempDir();
    const script = dir.join("input.ts");
    Deno.writeTextFileSync(script, INPUT_SCRIPT);
    const stdin = "one\r\ntwo\r\n";
    const [mine, theirs] = await Promise.all([
      run(Deno.execPath(), ["run", "--no-prompt", script], { stdin }),
      runPython(PYTHON_INPUT, [], { stdin }),
    ]);
    assert.equal(
      mine.stdout,
      'got "one"\ngot "two"\nEOFError: EOF when reading a line\n',
    );
    // Python reads stdin without newline translation on POSIX.
    assert.equal(
      theirs.stdout,
      'got "one\\r"\ngot "two\\r"\nEOFError: EOF when reading a line\n',
    );
  },
);
