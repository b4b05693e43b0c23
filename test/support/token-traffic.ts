/**
 * Continuous token traffic against one or more running Tessera processes,
 * for the failover tests: each worker loops issuing a client_credentials
 * token, introspecting it, revoking it and introspecting it again, spread
 * over the servers. Every answer is kept; every revocation the server
 * acknowledged (200) is remembered with the time of its answer, so a test
 * can check afterwards that none was lost; an introspection that calls a
 * token active after its revocation was acknowledged is counted as a breach
 * at once.
 */
import { clientCredentials, introspect, revoke, type Answer, type TokenServer } from './token-calls.js';

export interface TrafficAnswer extends Answer {
  kind: 'token' | 'introspect-live' | 'revoke' | 'introspect-revoked';
  server: number;
}

export interface Traffic {
  answers: TrafficAnswer[];
  /** Revocations answered 200: the token and when the answer arrived. */
  revoked: Array<{ token: string; at: number }>;
  /** Introspections that called an acknowledged-revoked token active. */
  breaches: string[];
  stop(): Promise<void>;
}

export function startTraffic(servers: readonly TokenServer[], client: { id: string; secret: string }, workers = 3, pauseMs = 20): Traffic {
  const traffic: Traffic = { answers: [], revoked: [], breaches: [], stop: async () => undefined };
  let running = true;
  let turn = 0;
  const pick = () => turn++ % servers.length;
  const note = (a: Answer, kind: TrafficAnswer['kind'], server: number): Answer => {
    traffic.answers.push({ ...a, kind, server });
    return a;
  };
  const worker = async (): Promise<void> => {
    while (running) {
      let s = pick();
      const issued = note(await clientCredentials(servers[s]!, client), 'token', s);
      const token = issued.status === 200 ? (issued.body.access_token as string) : null;
      if (token) {
        s = pick();
        note(await introspect(servers[s]!, client, token), 'introspect-live', s);
        s = pick();
        const revoked = note(await revoke(servers[s]!, client, token), 'revoke', s);
        if (revoked.status === 200) {
          traffic.revoked.push({ token, at: revoked.at });
          s = pick();
          const after = note(await introspect(servers[s]!, client, token), 'introspect-revoked', s);
          if (after.status === 200 && after.body.active !== false) traffic.breaches.push(`${token.slice(-12)} active after its revocation: ${JSON.stringify(after.body)}`);
        }
      }
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const all = Array.from({ length: workers }, () => worker());
  traffic.stop = async () => {
    running = false;
    await Promise.all(all);
  };
  return traffic;
}

/** Resolves once `n` revocations have been acknowledged (so a failover has some to lose); throws after `timeoutMs`. */
export async function untilRevoked(traffic: Traffic, n: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (traffic.revoked.length < n) {
    if (Date.now() > deadline) throw new Error(`only ${traffic.revoked.length} revocations acknowledged in ${timeoutMs} ms: ${JSON.stringify(traffic.answers.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Recovery {
  /** Answers other than 200 after `since`. */
  failures: TrafficAnswer[];
  /** ms from `since` to the first failure, to the last one, and to the first success after the last failure (null: none). */
  firstFailureMs: number | null;
  lastFailureMs: number | null;
  backMs: number | null;
}

/** How the traffic fared from `since` (e.g. the moment a failover was triggered). */
export function recoveryOf(traffic: Traffic, since: number): Recovery {
  const after = traffic.answers.filter((a) => a.at >= since).sort((x, y) => x.at - y.at);
  const failures = after.filter((a) => a.status !== 200);
  const last = failures.at(-1);
  const back = last ? after.find((a) => a.at > last.at && a.status === 200) : after.find((a) => a.status === 200);
  return {
    failures,
    firstFailureMs: failures[0] ? failures[0].at - since : null,
    lastFailureMs: last ? last.at - since : null,
    backMs: back ? back.at - since : null,
  };
}
