/**
 * Every supertest answer in every test file is checked against openapi.yaml
 * (jest.config.js loads this file with `setupFilesAfterEnv`), so an HTTP
 * test that exercises an undocumented status, header or body fails even
 * when the test itself only looks at one field.
 *
 * The hook is supertest's `Test.prototype.assert`: `.end(cb)`, `await`
 * (superagent's `then` calls `end`) and `.expect(...)` chains all pass every
 * answer through it. The test's own expectations run first, so their more
 * specific message wins; then assertMatchesOpenApi, whose error becomes the
 * request's error and fails the test that made it. Requests to other servers
 * (fetch, openid-client, child processes) never come through here.
 */
import type { Response } from 'supertest';
import Test from 'supertest/lib/test.js';
import { assertMatchesOpenApi } from './openapi.js';
import { mountedRoutes } from '../openapi/mounted-routes.js';

type Callback = (this: unknown, err: unknown, res?: Response) => void;
type Assert = (this: { app?: unknown }, resError: unknown, res: Response | undefined, fn?: Callback) => void;

/**
 * The only answers let through unchecked, each for a reason the spec cannot
 * express. Keep it short: an entry here is a hole in the contract.
 */
export const UNCHECKED: ReadonlyArray<{ method: string; path: RegExp; status: number; reason: string }> = [];

// info.description: every answer carries X-Request-Id, the caller's sane one or a generated UUID.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Served = (path: string) => boolean;
const servedByApp = new WeakMap<object, Served | null>();

/**
 * Which paths the Express app behind a supertest target serves, from its
 * mounted routes. Null when the target is not an app whose routes can be
 * listed (a URL, a plain handler): then every documented path counts as served.
 */
function servedPaths(target: unknown): Served | null {
  const server = target as { listeners?: (event: string) => unknown[] } | undefined;
  const app = typeof server?.listeners === 'function' ? server.listeners('request')[0] : undefined;
  if (typeof app !== 'function') return null;
  if (servedByApp.has(app)) return servedByApp.get(app)!;
  let served: Served | null = null;
  try {
    const { operations, guards } = mountedRoutes(app);
    const patterns = [...operations.map((o) => o.path), ...guards].map((p) =>
      new RegExp(`^${p.split('/').map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`, 'i'));
    served = (path) => patterns.some((re) => re.test(path));
  } catch {
    served = null;
  }
  servedByApp.set(app, served);
  return served;
}

/** Throws unless `res` is what openapi.yaml allows; `target` is the server or app supertest was given. */
export function checkAnswer(res: Response, target: unknown): void {
  const req = (res as unknown as { req?: { method?: string; path?: string } }).req;
  const method = req?.method?.toUpperCase() ?? '?';
  const path = req?.path?.split('?')[0] ?? '?';
  if (UNCHECKED.some((u) => u.method === method && u.path.test(path) && u.status === res.status)) return;
  const served = servedPaths(target);
  assertMatchesOpenApi(res, { pathServed: served ? served(path) : true });
  const id = res.headers['x-request-id'];
  if (typeof id !== 'string' || !REQUEST_ID.test(id)) {
    throw new Error(`${method} ${path} answered ${res.status} does not match openapi.yaml (#/info/description):\n  X-Request-Id must be on every answer, got ${JSON.stringify(id)}`);
  }
}

const HOOKED = Symbol.for('tessera.validateResponses');
const proto = Test.prototype as unknown as { assert: Assert; [HOOKED]?: true };

if (!proto[HOOKED]) {
  proto[HOOKED] = true;
  const original = proto.assert;
  proto.assert = function assertDocumented(resError, res, fn) {
    const target = this.app;
    original.call(this, resError, res, fn && function (this: unknown, err: unknown, answer?: Response) {
      let failure = err;
      if (!failure && answer) {
        try {
          checkAnswer(answer, target);
        } catch (e) {
          failure = e;
        }
      }
      fn.call(this, failure ?? null, answer);
    });
  };
}
