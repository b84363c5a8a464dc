/**
 * Private: `pysocket relay`'s UDP sessions: one per client address, each
 * with its own socket towards the target, ended by `--idle-timeout`, at
 * most `--max-clients` (4,096 without it) at once.
 *
 * @module
 */

import { SOCK_DGRAM } from "../../socket/constants.ts";
import type { Address } from "../../socket/address.ts";
import { Deadline } from "../../socket/_deadline.ts";
import { Socket } from "../../socket/socket.ts";
import type { SessionEndReason } from "../_events.ts";
import { peerName, type Run } from "../_run.ts";
import { openServerSocket } from "../_sockets.ts";
import { ended } from "./relay_streams.ts";

/** Seconds a UDP session lives without a datagram, without `--idle-timeout`. */
export const UDP_IDLE_SECONDS = 60;
/** The most UDP sessions at once, without `--max-clients`. */
export const MAX_UDP_SESSIONS = 4096;
/** The largest datagram relayed. */
const DATAGRAM = 65535;

/** One client address of a UDP relay, with its own socket to the target. */
interface DatagramSession {
  peer: string;
  up: Socket;
  last: number;
  fromClient: number;
  fromTarget: number;
  timer: Deadline;
}

/**
 * The UDP relay: each client address gets its own socket towards the
 * target, whose datagrams go back to that client; a session ends after
 * `--idle-timeout` without a datagram either way.
 */
export async function relayDatagrams(run: Run): Promise<number> {
  const listener = await openServerSocket(run, SOCK_DGRAM);
  const { access, limits, target } = run.plan;
  const to = target!.endpoint;
  const idle = run.plan.idleTimeout ?? UDP_IDLE_SECONDS;
  const max = limits.maxClients === null
    ? MAX_UDP_SESSIONS
    : Math.min(limits.maxClients, MAX_UDP_SESSIONS);
  const sessions = new Map<string, DatagramSession>();

  const end = (
    session: DatagramSession,
    reason: SessionEndReason,
    message?: string,
  ) => {
    if (sessions.get(session.peer) !== session) return;
    sessions.delete(session.peer);
    session.timer.clear();
    run.release(session.up);
    ended(run, session.peer, session, reason, message);
  };
  const open = (peer: string): DatagramSession => {
    const session: DatagramSession = {
      peer,
      up: run.traffic.tap(
        run.own(new Socket(to.family, SOCK_DGRAM)),
        to.display,
      ),
      last: performance.now(),
      fromClient: 0,
      fromTarget: 0,
      timer: new Deadline(),
    };
    sessions.set(peer, session);
    run.emit({ event: "connected", peer });
    session.timer.quiet(idle, () => session.last).then(() =>
      end(
        session,
        "timeout",
        `no datagram for ${idle} s (--idle-timeout)`,
      )
    );
    return session;
  };
  const answer = async (session: DatagramSession, address: Address) => {
    try {
      while (true) {
        const [data] = await session.up.recvfrom(DATAGRAM);
        session.fromTarget += data.length;
        session.last = performance.now();
        await listener.sendto(data, address);
      }
    } catch (err) {
      end(
        session,
        "target",
        run.explain(err, `cannot reach ${to.display}`).message,
      );
    }
  };

  while (true) {
    let data: Uint8Array;
    let address: Address;
    try {
      [data, address] = await listener.recvfrom(DATAGRAM);
    } catch (err) {
      if (run.closed) return 130;
      throw run.explain(err, `cannot receive on ${run.plan.endpoint.display}`);
    }
    const peer = peerName(address);
    let session = sessions.get(peer);
    if (!session) {
      // Refused datagrams are dropped without a line: a flood of forged
      // sources cannot flood stderr.
      if (access?.check(typeof address === "string" ? address : address[0])) {
        continue;
      }
      if (sessions.size >= max) {
        run.emit({
          event: "refused",
          peer,
          message: `${sessions.size} sessions already (--max-clients ${max})`,
        });
        continue;
      }
      session = open(peer);
      try {
        await session.up.connect([to.host, to.port]);
      } catch (err) {
        end(
          session,
          "target",
          run.explain(err, `cannot reach ${to.display}`).message,
        );
        continue;
      }
    }
    session.fromClient += data.length;
    session.last = performance.now();
    const first = session.fromClient === data.length;
    try {
      await session.up.send(data);
    } catch (err) {
      end(
        session,
        "target",
        run.explain(err, `cannot reach ${to.display}`).message,
      );
      continue;
    }
    // The first send bound the session's socket: replies can come now.
    if (first) answer(session, address);
  }
}
