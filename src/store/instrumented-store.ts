/**
 * A Store that times every repository call (`refreshTokens.rotate`, ...)
 * and counts the ones that fail, around whichever Store the server uses,
 * so that no repository knows of metrics. It sits on every request's path:
 * per call it adds one pair of clock reads (performance.now: a double, where
 * hrtime.bigint allocates a BigInt per read) and one histogram observation
 * (children are bound per operation once, here; bound-histogram.ts), nothing
 * else.
 *
 * Each wrapped repository inherits from the real one, so anything not a
 * method (a memory repository's maps) reads through; methods run on the
 * real repository, so its calls to its own methods are not counted twice.
 */
import { performance } from 'node:perf_hooks';
import type { Counter } from 'prom-client';
import type { BoundHistogram } from '../core/metrics/bound-histogram.js';
import type { Store } from './store.js';

export interface StoreInstruments {
  duration: BoundHistogram;
  errors: Counter<'operation'>;
}

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Methods that answer through a callback, their last argument, instead of a
 * promise (AuditLog.appendLater): timed until it is called, and counted as
 * failed when it is called with an error or the method throws.
 */
const SETTLED_BY_CALLBACK = new Set(['audit.appendLater']);

function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (name !== 'constructor' && typeof d?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

function instrument<R extends object>(repository: R, name: string, m: StoreInstruments): R {
  const wrapped = Object.create(repository) as R;
  for (const method of methodNames(repository)) {
    const fn = (repository as Record<string, AnyFn>)[method]!;
    const operation = `${name}.${method}`;
    const timer = m.duration.labels(operation);
    const failures = m.errors.labels(operation);
    const observe = (start: number) => timer.observe((performance.now() - start) / 1e3);
    const fail = (start: number) => {
      observe(start);
      failures.inc();
    };
    if (SETTLED_BY_CALLBACK.has(operation)) {
      (wrapped as Record<string, AnyFn>)[method] = (...args: unknown[]) => {
        const start = performance.now();
        const settled = args[args.length - 1] as (err: unknown) => void;
        args[args.length - 1] = (err: unknown) => {
          observe(start);
          if (err !== null) failures.inc();
          settled(err);
        };
        try {
          return fn.apply(repository, args);
        } catch (err) {
          // Refused before anything was sent (its callback never runs): counted here, as a promise's method counts a throw.
          fail(start);
          throw err;
        }
      };
      continue;
    }
    (wrapped as Record<string, AnyFn>)[method] = (...args: unknown[]) => {
      const start = performance.now();
      let result: unknown;
      try {
        result = fn.apply(repository, args);
      } catch (err) {
        fail(start);
        throw err;
      }
      if (!(result instanceof Promise)) {
        observe(start);
        return result;
      }
      return result.then(
        (value: unknown) => { observe(start); return value; },
        (err: unknown) => { fail(start); throw err; },
      );
    };
  }
  return wrapped;
}

export function instrumentStore(store: Store, m: StoreInstruments): Store {
  return {
    kind: store.kind,
    clients: instrument(store.clients, 'clients', m),
    revocations: instrument(store.revocations, 'revocations', m),
    users: instrument(store.users, 'users', m),
    roles: instrument(store.roles, 'roles', m),
    loginAttempts: instrument(store.loginAttempts, 'loginAttempts', m),
    authorizationRequests: instrument(store.authorizationRequests, 'authorizationRequests', m),
    authorizationCodes: instrument(store.authorizationCodes, 'authorizationCodes', m),
    refreshTokens: instrument(store.refreshTokens, 'refreshTokens', m),
    apiTokens: instrument(store.apiTokens, 'apiTokens', m),
    audit: instrument(store.audit, 'audit', m),
    rateLimits: instrument(store.rateLimits, 'rateLimits', m),
    usage: instrument(store.usage, 'usage', m),
    webhooks: instrument(store.webhooks, 'webhooks', m),
    counters: instrument(store.counters, 'counters', m),
    jobs: instrument(store.jobs, 'jobs', m),
    baselines: instrument(store.baselines, 'baselines', m),
    replay: instrument(store.replay, 'replay', m),
    secrets: instrument(store.secrets, 'secrets', m),
    trustPolicies: instrument(store.trustPolicies, 'trustPolicies', m),
    signingKeys: instrument(store.signingKeys, 'signingKeys', m),
    // Health checks, not work: /readyz and tessera_store_up report them.
    ping: () => store.ping(),
    evictionPolicy: () => store.evictionPolicy(),
    close: () => store.close(),
  };
}
