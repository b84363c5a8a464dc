/**
 * Private: `pysocket relay`'s stream sessions (TCP, TLS, Unix): each
 * admitted client gets its own connection to the target, bytes copied both
 * ways with `pipeSocket`, half-close passed on in each direction, and a
 * `session-ended` report with the byte counts.
 *
 * @module
 */

import { SHUT_WR, SOCK_STREAM } from "../../socket/constants.ts";
import { TimeoutError } from "../../socket/errors.ts";
import { Socket } from "../../socket/socket.ts";
import { ChatFailure } from "../_explain.ts";
import type { SessionEndReason } from "../_events.ts";
import type { Run } from "../_run.ts";
import { serve, type Session } from "../_server.ts";
import { connectViaProxy } from "../_sockets.ts";
import { wrapClient } from "../_tls.ts";
import { pipeSocket } from "./tcp_stream.ts";

/** Seconds to wait for the target to accept, without `--timeout`. */
export const CONNECT_SECONDS = 10;

/** The stream relay: one target connection per admitted client. */
export function relayStreams(run: Run): Promise<number> {
  return serve(run, (session) => relaySession(run, session), {
    backlog: 1024,
  });
}

/** Reports the end of a session with its byte counts. */
export function ended(
  run: Run,
  peer: string,
  counts: { fromClient: number; fromTarget: number },
  reason: SessionEndReason,
  message?: string,
): void {
  run.emit({
    event: "session-ended",
    peer,
    target: run.plan.target!.endpoint.display,
    fromClient: counts.fromClient,
    fromTarget: counts.fromTarget,
    reason,
    ...(message ? { message } : {}),
  });
}

/**
 * Connects to the target (TLS for `tls:`), within `--timeout`.
 *
 * @param run The run.
 * @returns The connected socket, owned by the run: release it.
 */
async function connectTarget(run: Run): Promise<Socket> {
  const { endpoint, tls } = run.plan.target!;
  const { proxy } = run.plan;
  const timeout = run.plan.timeout ?? CONNECT_SECONDS;
  let sock: Socket;
  if (proxy) {
    sock = await connectViaProxy(run, endpoint, timeout, "reach");
  } else sock = run.own(new Socket(endpoint.family, SOCK_STREAM));
  try {
    sock.settimeout(timeout);
    if (!proxy) {
      await sock.connect(endpoint.path ?? [endpoint.host, endpoint.port]);
    }
    if (tls) {
      const plain = sock;
      sock = run.own(await wrapClient(plain, endpoint.host, tls));
      run.release(plain);
    }
    sock.settimeout(null);
    return run.traffic.tap(sock, endpoint.display);
  } catch (err) {
    run.release(sock);
    if (err instanceof TimeoutError) {
      throw new ChatFailure(
        `cannot reach ${endpoint.display}: timed out after ${
          run.plan.timeout ?? CONNECT_SECONDS
        } s (--timeout)`,
      );
    }
    throw err;
  }
}

/** One stream session: connect to the target, then copy both ways. */
async function relaySession(run: Run, { sock, peer }: Session): Promise<void> {
  run.emit({ event: "connected", peer });
  const display = run.plan.target!.endpoint.display;
  let up: Socket;
  try {
    up = await connectTarget(run);
  } catch (err) {
    ended(
      run,
      peer,
      { fromClient: 0, fromTarget: 0 },
      "target",
      run.explain(err, `cannot reach ${display}`).message,
    );
    return;
  }
  try {
    const result = await pipeSocket(
      sock,
      {
        read: async (buffer) => {
          const n = await up.recv_into(buffer);
          return n === 0 ? null : n;
        },
      },
      (data) => up.sendall(data),
      {
        idleTimeout: run.plan.idleTimeout,
        reuseBuffer: true,
        onPeerEnd: async () => {
          try {
            await up.shutdown(SHUT_WR);
          } catch {
            // The target has closed already: its direction will tell.
          }
        },
      },
    );
    const counts = {
      fromClient: result.received,
      fromTarget: result.sent,
    };
    if (result.end === "done") ended(run, peer, counts, "done");
    else if (result.end === "timeout") {
      ended(
        run,
        peer,
        counts,
        "timeout",
        `nothing crossed for ${run.plan.idleTimeout} s (--idle-timeout)`,
      );
    } else {
      ended(
        run,
        peer,
        counts,
        result.end,
        result.end === "reset"
          ? "a side reset the connection"
          : run.explain(result.error).message,
      );
    }
  } finally {
    run.release(up);
  }
}
