/**
 * The chat programs as a person uses them: each runs in a terminal (a tmux
 * window, 200x50, on a tmux server of its own that runs in the foreground
 * as the test's child, so it is awaited when killed), keys are typed with
 * `send-keys`, and the screen is read with `capture-pane` until the
 * expected text appears. The tests assert the prompts (`server>`,
 * `client>`), the typed text as the terminal echoes it, the status lines
 * between them, and the exit codes: each program runs under
 * `bash -c '...; echo EXIT=$?'`, so `EXIT=130` after Ctrl-C shows that the
 * program handled SIGINT and exited with 130 (a program killed by the
 * signal takes bash down with it and no `EXIT=` line appears).
 *
 * Needs tmux, bash and Python, and a POSIX terminal's Ctrl-C; without them
 * (on Windows, or where a command is missing) the tests are ignored and
 * their names say why.
 *
 * @module
 */

import assert from "node:assert/strict";
import { needs } from "../_support/platform.ts";
import { Child, run } from "../_support/process.ts";
import { listeningPort, pysocket, pysocketArgv } from "../_support/pysocket.ts";
import { pythonPeerArgv } from "../_support/python.ts";
import { ROOT, WAIT_MS } from "../_support/paths.ts";
import { poll } from "../_support/wait.ts";
import { LinePeer } from "../_support/line_peer.ts";

/** Ctrl-C and Ctrl-D are a POSIX terminal's, sent by tmux. */
const { why, ignore } = needs("signals", "tmux", "bash", "python");

let sessions = 0;

/** Quotes a word for sh. */
function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A `deno run` command line for a chat program, as a person types it. */
function program(name: string, flags: string[], args: string[]): string {
  return pysocketArgv([name, ...args], flags).map(quote).join(" ");
}

/** A tmux server of our own with one session, `chat`, of named windows. */
class Terminals implements AsyncDisposable {
  readonly socket = `pysocket-test-${Deno.pid}-${++sessions}`;
  #windows: string[] = [];
  /** The tmux server, run in the foreground (-D) as our own child. */
  #server: Child | undefined;

  /** Starts our tmux server and waits until it answers. */
  async #start(): Promise<void> {
    this.#server = new Child("tmux", [
      "-u",
      "-L",
      this.socket,
      "-f",
      "/dev/null",
      "-D",
    ], { lifetimeMs: 60_000 });
    const server = this.#server;
    await poll("our tmux server to answer", async () => {
      try {
        await this.tmux("list-sessions");
        return true;
      } catch (err) {
        if (server.exited) throw err;
        return false;
      }
    });
  }

  /** Runs a tmux command on our server and returns its stdout. */
  async tmux(...args: string[]): Promise<string> {
    const { code, stdout, stderr } = await run("tmux", [
      "-u",
      "-L",
      this.socket,
      "-f",
      "/dev/null",
      ...args,
    ]);
    if (code !== 0) throw new Error(`tmux ${args.join(" ")}: ${stderr}`);
    return stdout;
  }

  /**
   * Opens a window running `command` under bash, which prints the exit
   * code as `EXIT=N` when it ends. The window stays for reading after:
   * bash then sleeps, keeping the terminal open, because output written
   * just before the last process on a terminal exits can be lost.
   */
  async open(window: string, command: string): Promise<void> {
    const shell = `exec bash -c ${
      quote(`${command}; echo EXIT=$?; exec sleep 600`)
    }`;
    if (!this.#server) await this.#start();
    if (this.#windows.length === 0) {
      await this.tmux(
        "new-session",
        "-d",
        "-x",
        "200",
        "-y",
        "50",
        "-s",
        "chat",
        "-n",
        window,
        "-c",
        ROOT,
        shell,
        ";",
        "set-option",
        "-g",
        "remain-on-exit",
        "on",
      );
    } else {
      await this.tmux("new-window", "-d", "-t", "chat", "-n", window, shell);
    }
    this.#windows.push(window);
  }

  /**
   * The window's text as a person sees it, history included: trailing
   * blanks and empty lines dropped, without tmux's "Pane is dead" line.
   */
  async screen(window: string): Promise<string> {
    const text = await this.tmux(
      "capture-pane",
      "-p",
      "-J",
      "-S",
      "-",
      "-t",
      `chat:${window}`,
    );
    return text.split("\n")
      .map((line) => line.trimEnd())
      .filter((line) => !line.startsWith("Pane is dead"))
      .join("\n")
      .replace(/\n+$/, "");
  }

  /** Polls the window until `pattern` matches its text; returns the match. */
  async waitFor(
    window: string,
    pattern: RegExp | string,
    timeoutMs = WAIT_MS,
  ): Promise<RegExpMatchArray> {
    const regexp = typeof pattern === "string"
      ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      : pattern;
    let text = "";
    return await poll(`${regexp} in window ${window}`, async () => {
      text = await this.screen(window);
      return text.match(regexp) ?? undefined;
    }, { ms: timeoutMs, everyMs: 50, seen: () => text });
  }

  /** Types text and presses Enter. */
  async type(window: string, text: string): Promise<void> {
    await this.tmux("send-keys", "-t", `chat:${window}`, "-l", text);
    await this.tmux("send-keys", "-t", `chat:${window}`, "Enter");
  }

  /** Presses keys, such as `C-c`. */
  async press(window: string, ...keys: string[]): Promise<void> {
    await this.tmux("send-keys", "-t", `chat:${window}`, ...keys);
  }

  /**
   * Kills our tmux server, and with it every program in its windows, awaits
   * it, and removes its socket file (tmux leaves it behind).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#server) return;
    const path = await this.tmux("display-message", "-p", "#{socket_path}")
      .catch(() => "");
    await this.tmux("kill-server").catch(() => {});
    await this.#server.finished().catch(() => {});
    await this.#server[Symbol.asyncDispose]();
    if (path.trim()) await Deno.remove(path.trim()).catch(() => {});
  }
}

/**
 * The lines of a screen. A line that is only `^C` and bash's `EXIT=N` is
 * split in two, so these tests pass whether or not a program ends the line
 * after `^C` when no prompt is open; one test below checks that on its own.
 */
function rows(text: string): string[] {
  return text.split("\n").flatMap((line) => {
    const exit = /^\^C(EXIT=\d+)$/.exec(line);
    return exit ? ["^C", exit[1]] : [line];
  });
}

/** Opens a tcp-server window on a free port and returns the port. */
async function tcpServer(terms: Terminals, window = "server"): Promise<number> {
  await terms.open(
    window,
    program("tcp-server", ["--allow-net=127.0.0.1:0"], [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ]),
  );
  const match = await terms.waitFor(window, /listening on 127\.0\.0\.1:(\d+)/);
  return Number(match[1]);
}

/** Opens a tcp-client window connected to `port`. */
async function tcpClient(
  terms: Terminals,
  port: number,
  window = "client",
): Promise<void> {
  await terms.open(
    window,
    program("tcp-client", [`--allow-net=127.0.0.1:${port}`], [
      "--port",
      String(port),
    ]),
  );
}

/** Ctrl-C on a server waiting for clients: it stops with exit code 130. */
async function interrupt(terms: Terminals, window: string): Promise<void> {
  await terms.press(window, "C-c");
  await terms.waitFor(window, /EXIT=\d+$/);
}

Deno.test({
  name:
    "tcp-server and tcp-client in terminals: prompts, messages, exit and Ctrl-C" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    const port = await tcpServer(terms);
    await tcpClient(terms, port);
    await terms.waitFor("client", /server>hello\nclient>$/);
    await terms.waitFor("server", "127.0.0.1 connected");
    await terms.type("client", "héllo 世界");
    await terms.waitFor("server", /client>héllo 世界\nserver>$/);
    await terms.type("server", "hi there");
    await terms.waitFor("client", /server>hi there\nclient>$/);
    await terms.type("client", "exit");
    await terms.waitFor("client", /EXIT=\d+$/);
    await terms.waitFor("server", "127.0.0.1 disconnected");
    await interrupt(terms, "server");
    assert.deepEqual(rows(await terms.screen("client")), [
      "server>hello",
      "client>héllo 世界",
      "server>hi there",
      "client>exit",
      "EXIT=0",
    ]);
    assert.deepEqual(rows(await terms.screen("server")), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "client>héllo 世界",
      "server>hi there",
      "127.0.0.1 disconnected",
      "^C",
      "EXIT=130",
    ]);
  },
});

Deno.test({
  name:
    "Ctrl-C on tcp-client, at its prompt or waiting for a reply, exits 130" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    const port = await tcpServer(terms);

    // At its prompt.
    await tcpClient(terms, port, "first");
    await terms.waitFor("first", /server>hello\nclient>$/);
    await terms.press("first", "C-c");
    await terms.waitFor("first", /EXIT=\d+$/);
    assert.deepEqual(rows(await terms.screen("first")), [
      "server>hello",
      "client>^C",
      "EXIT=130",
    ]);
    await terms.waitFor("server", /disconnected: /);

    // Waiting for a reply, while the server shows its prompt: the server's
    // report of the departure starts on a line of its own.
    await tcpClient(terms, port, "second");
    await terms.waitFor("second", /server>hello\nclient>$/);
    await terms.type("second", "anyone?");
    await terms.waitFor("server", /client>anyone\?\nserver>$/);
    await terms.press("second", "C-c");
    await terms.waitFor("second", /EXIT=\d+$/);
    assert.deepEqual(rows(await terms.screen("second")), [
      "server>hello",
      "client>anyone?",
      "^C",
      "EXIT=130",
    ]);
    await terms.waitFor("server", /server>\n.*disconnected: .*$/);
    await interrupt(terms, "server");
    const gone =
      "127.0.0.1 disconnected: the client closed the connection without sending exit";
    assert.deepEqual(rows(await terms.screen("server")), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      gone,
      "127.0.0.1 connected",
      "client>anyone?",
      "server>",
      gone,
      "^C",
      "EXIT=130",
    ]);
  },
});

Deno.test({
  name:
    "udp-server and udp-client in terminals: prompts, messages, exit and Ctrl-C" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    await terms.open(
      "server",
      program("udp-server", ["--unstable-net", "--allow-net=127.0.0.1"], [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
      ]),
    );
    const match = await terms.waitFor(
      "server",
      /listening on 127\.0\.0\.1:(\d+)/,
    );
    const port = Number(match[1]);
    const client = (window: string) =>
      terms.open(
        window,
        program("udp-client", [
          "--unstable-net",
          `--allow-net=127.0.0.1:${port},127.0.0.1:0`,
        ], ["--port", String(port)]),
      );
    await client("client");
    await terms.waitFor("client", /^client>$/);
    await terms.type("client", "héllo 世界");
    await terms.waitFor("server", /client>héllo 世界\nserver>$/);
    await terms.type("server", "hi there");
    await terms.waitFor("client", /server>hi there\nclient>$/);
    await terms.type("client", "exit");
    await terms.waitFor("client", /EXIT=\d+$/);
    await terms.waitFor("server", "127.0.0.1 disconnected");
    assert.deepEqual(rows(await terms.screen("client")), [
      "client>héllo 世界",
      "server>hi there",
      "client>exit",
      "EXIT=0",
    ]);

    await client("idle");
    await terms.waitFor("idle", /^client>$/);
    await terms.press("idle", "C-c");
    await terms.waitFor("idle", /EXIT=\d+$/);
    assert.deepEqual(rows(await terms.screen("idle")), [
      "client>^C",
      "EXIT=130",
    ]);

    await interrupt(terms, "server");
    assert.deepEqual(rows(await terms.screen("server")), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "client>héllo 世界",
      "server>hi there",
      "127.0.0.1 disconnected",
      "^C",
      "EXIT=130",
    ]);
  },
});

Deno.test({
  name: "the tutorial's python TCP client and tcp-server side by side" + why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    const port = await tcpServer(terms);
    await terms.open(
      "python",
      pythonPeerArgv("tcp_client.py", ["127.0.0.1", String(port)])
        .map(quote).join(" "),
    );
    await terms.waitFor("python", /server>hello\nclient>$/);
    await terms.type("python", "héllo 世界");
    await terms.waitFor("server", /client>héllo 世界\nserver>$/);
    await terms.type("server", "你好, python");
    await terms.waitFor("python", /server>你好, python\nclient>$/);
    await terms.type("python", "exit");
    await terms.waitFor("python", /EXIT=\d+$/);
    await terms.waitFor("server", "127.0.0.1 disconnected");
    await interrupt(terms, "server");
    assert.deepEqual(rows(await terms.screen("python")), [
      "server>hello",
      "client>héllo 世界",
      "server>你好, python",
      "client>exit",
      "EXIT=0",
    ]);
    assert.deepEqual(rows(await terms.screen("server")), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "client>héllo 世界",
      "server>你好, python",
      "127.0.0.1 disconnected",
      "^C",
      "EXIT=130",
    ]);
  },
});

Deno.test({
  name: "a reply typed after its client left is not sent to the next client" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    const port = await tcpServer(terms);
    await tcpClient(terms, port, "first");
    await terms.waitFor("first", /server>hello\nclient>$/);
    await terms.type("first", "anyone?");
    await terms.waitFor("server", /client>anyone\?\nserver>$/);
    await terms.press("first", "C-c");
    await terms.waitFor("server", /server>\n.*disconnected: .*$/);
    // The person at the server answers, too late: the client has gone.
    await terms.type("server", "too late");
    await tcpClient(terms, port, "second");
    await terms.waitFor("second", /server>hello\nclient>$/);
    await terms.type("second", "hi");
    // The server shows the new message and asks for a reply to it.
    await terms.waitFor("server", /client>hi\nserver>$/, 3_000);
    await terms.type("server", "welcome");
    await terms.waitFor("second", /server>\S+\nclient>$/);
    assert.deepEqual(rows(await terms.screen("second")), [
      "server>hello",
      "client>hi",
      "server>welcome",
      "client>",
    ]);
  },
});

Deno.test({
  name:
    "tcp-client at its prompt says on a line of its own that the server stopped" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    const port = await tcpServer(terms);
    await tcpClient(terms, port);
    await terms.waitFor("client", /server>hello\nclient>$/);
    await terms.press("server", "C-c");
    await terms.waitFor("server", /EXIT=\d+$/);
    await terms.waitFor("client", /EXIT=\d+$/);
    assert.deepEqual(rows(await terms.screen("client")), [
      "server>hello",
      "client>",
      `pysocket tcp-client: the server at 127.0.0.1:${port} closed the connection`,
      "EXIT=1",
    ]);
    assert.deepEqual(rows(await terms.screen("server")), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "^C",
      "EXIT=130",
    ]);
  },
});

Deno.test({
  name:
    "Ctrl-D at a TCP prompt is end of input, and what follows starts a new line" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    const port = await tcpServer(terms);
    // At the client's prompt: it sends exit and quits with 0.
    await tcpClient(terms, port, "first");
    await terms.waitFor("first", /server>hello\nclient>$/);
    await terms.press("first", "C-d");
    await terms.waitFor("first", /EXIT=\d+$/);
    await terms.waitFor("server", "127.0.0.1 disconnected");
    // At the server's prompt: it closes the session and stops with 0.
    await tcpClient(terms, port, "second");
    await terms.waitFor("second", /server>hello\nclient>$/);
    await terms.type("second", "hi");
    await terms.waitFor("server", /client>hi\nserver>$/);
    await terms.press("server", "C-d");
    await terms.waitFor("server", /EXIT=\d+$/);
    await terms.waitFor("second", /EXIT=\d+$/);
    assert.deepEqual({
      first: rows(await terms.screen("first")),
      server: rows(await terms.screen("server")),
      second: rows(await terms.screen("second")),
    }, {
      first: ["server>hello", "client>", "EXIT=0"],
      server: [
        `listening on 127.0.0.1:${port}`,
        "127.0.0.1 connected",
        "127.0.0.1 disconnected",
        "127.0.0.1 connected",
        "client>hi",
        "server>",
        "127.0.0.1 disconnected",
        "stopped: end of input",
        "EXIT=0",
      ],
      second: [
        "server>hello",
        "client>hi",
        `pysocket tcp-client: the server at 127.0.0.1:${port} closed the connection`,
        "EXIT=1",
      ],
    });
  },
});

Deno.test({
  name:
    "Ctrl-D at a UDP prompt is end of input, and what follows starts a new line" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    await terms.open(
      "server",
      program("udp-server", ["--unstable-net", "--allow-net=127.0.0.1"], [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
      ]),
    );
    const match = await terms.waitFor(
      "server",
      /listening on 127\.0\.0\.1:(\d+)/,
    );
    const port = Number(match[1]);
    const client = (window: string) =>
      terms.open(
        window,
        program("udp-client", [
          "--unstable-net",
          `--allow-net=127.0.0.1:${port},127.0.0.1:0`,
        ], ["--port", String(port)]),
      );
    await client("first");
    await terms.waitFor("first", /^client>$/);
    await terms.press("first", "C-d");
    await terms.waitFor("first", /EXIT=\d+$/);
    await terms.waitFor("server", "127.0.0.1 disconnected");
    await client("second");
    await terms.waitFor("second", /^client>$/);
    await terms.type("second", "hi");
    await terms.waitFor("server", /client>hi\nserver>$/);
    await terms.press("server", "C-d");
    await terms.waitFor("server", /EXIT=\d+$/);
    assert.deepEqual({
      first: rows(await terms.screen("first")),
      server: rows(await terms.screen("server")),
    }, {
      first: ["client>", "EXIT=0"],
      server: [
        `listening on 127.0.0.1:${port}`,
        "127.0.0.1 connected",
        "127.0.0.1 disconnected",
        "127.0.0.1 connected",
        "client>hi",
        "server>",
        "127.0.0.1 disconnected",
        "stopped: end of input",
        "EXIT=0",
      ],
    });
  },
});

Deno.test({
  name:
    "Ctrl-C at the tcp-server prompt exits 130; the client says the server left" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    const port = await tcpServer(terms);
    await tcpClient(terms, port);
    await terms.waitFor("client", /server>hello\nclient>$/);
    await terms.type("client", "héllo 世界");
    await terms.waitFor("server", /client>héllo 世界\nserver>$/);
    await terms.press("server", "C-c");
    await terms.waitFor("server", /EXIT=\d+$/);
    await terms.waitFor("client", /EXIT=\d+$/);
    assert.deepEqual({
      server: rows(await terms.screen("server")),
      client: rows(await terms.screen("client")),
    }, {
      server: [
        `listening on 127.0.0.1:${port}`,
        "127.0.0.1 connected",
        "client>héllo 世界",
        "server>^C",
        "EXIT=130",
      ],
      client: [
        "server>hello",
        "client>héllo 世界",
        `pysocket tcp-client: the server at 127.0.0.1:${port} closed the connection`,
        "EXIT=1",
      ],
    });
  },
});

Deno.test({
  name:
    "Ctrl-C on an idle tcp-server ends the ^C line: the shell prompt starts a new one" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    // An interactive shell, as a person has: a program that exits with 130
    // (rather than dying of the signal) must end the line itself.
    await terms.open(
      "shell",
      "env PS1='$ ' bash --norc --noprofile -i",
    );
    await terms.waitFor("shell", /\$$/);
    await terms.type(
      "shell",
      program("tcp-server", ["--allow-net=127.0.0.1:0"], [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
      ]),
    );
    const match = await terms.waitFor(
      "shell",
      /listening on 127\.0\.0\.1:(\d+)$/,
    );
    await terms.press("shell", "C-c");
    await terms.waitFor("shell", /\^C.*\$$/s);
    await terms.type("shell", "echo status=$?");
    await terms.waitFor("shell", /status=\d+\n\$$/);
    const screen = (await terms.screen("shell")).split("\n");
    assert.deepEqual(screen.slice(screen.indexOf(match[0])), [
      match[0],
      "^C",
      "$ echo status=$?",
      "status=130",
      "$",
    ]);
  },
});

Deno.test({
  name:
    "tcp-client at a terminal in a --room: a broadcast that comes while it waits gets its own line, and the prompt comes back" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    await terms.open(
      "room",
      program("tcp-server", ["--allow-net=127.0.0.1:0"], [
        "--room",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
      ]),
    );
    const port = Number(
      (await terms.waitFor("room", /listening on 127\.0\.0\.1:(\d+)/))[1],
    );
    await tcpClient(terms, port);
    await terms.waitFor("client", /0 others here;.*\nclient>$/s);
    await using other = await LinePeer.connect(port);
    const name = (await other.line(/^\* welcome, you are (\S+);/))[1];
    await terms.waitFor("client", `server>* ${name} joined\nclient>`);
    await other.send("hi, terminal\n");
    await terms.waitFor("client", /hi, terminal\nclient>$/);
    await terms.type("client", "hi back");
    await other.line(/: hi back$/);
    await terms.waitFor("client", /: hi back\nclient>$/);
    await terms.type("client", "exit");
    await terms.waitFor("client", /EXIT=\d+$/);
    const screen = rows(await terms.screen("client"));
    assert.match(screen[0], /^server>\* welcome, you are /);
    assert.deepEqual(screen.slice(1), [
      "client>",
      `server>* ${name} joined`,
      "client>",
      `server>${name}: hi, terminal`,
      "client>hi back",
      // The room sends each message to its sender too, in its place.
      screen[6],
      "client>exit",
      "EXIT=0",
    ]);
    assert.match(screen[6], /^server>127\.0\.0\.1:\d+: hi back$/);
  },
});

Deno.test({
  name:
    "udp-client --stream at a terminal: received bytes print as they come, escapes shown, Ctrl-D ends it at once" +
    why,
  ignore,
  async fn() {
    await using terms = new Terminals();
    await using echo = pysocket([
      "udp-server",
      "--stream",
      "--echo",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ]);
    const port = await listeningPort(echo);
    await terms.open(
      "client",
      program("udp-client", [
        "--unstable-net",
        `--allow-net=127.0.0.1:${port},127.0.0.1:0`,
      ], ["--stream", "--port", String(port)]),
    );
    // It prints nothing until data comes, so there is no sign that it has
    // started: on a loaded machine, keys typed while Deno still starts can
    // be lost. Type until the first line comes back.
    for (let attempt = 1;; attempt++) {
      await terms.type("client", "hi over udp");
      try {
        await terms.waitFor("client", /hi over udp\nhi over udp$/, 2_000);
        break;
      } catch (err) {
        if (attempt === 5) throw err;
      }
    }
    // An escape sequence typed as text comes back shown, not obeyed.
    await terms.type("client", "\x1b[2J");
    await terms.waitFor("client", /\\x1b\[2J$/);
    await terms.press("client", "C-d");
    await terms.waitFor("client", /EXIT=\d+$/);
    assert.deepEqual(rows(await terms.screen("client")).slice(-5), [
      "hi over udp", // What the terminal echoed as it was typed,
      "hi over udp", // and the datagram that came back.
      "^[[2J",
      "\\x1b[2J",
      "EXIT=0",
    ]);
  },
});
