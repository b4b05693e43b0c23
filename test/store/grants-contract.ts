/** Authorization requests, codes and refresh-token families: behaviour every Store must have. */
import type { RefreshFamilyRecord, RefreshTokenRecord, Store } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

let seq = 0;
export function family(overrides: Partial<RefreshFamilyRecord> = {}): RefreshFamilyRecord {
  const now = Date.now();
  return { family_id: `fam-${++seq}-${now}`, client_id: 'app', user_id: 'usr_1', scopes: ['a', 'b'], auth_time: 1, created_at: now, expires_at: now + 60_000, ...overrides };
}
const token = (hash: string, familyId: string, scopes = ['a']): RefreshTokenRecord => ({ token_hash: hash, family_id: familyId, scopes, created_at: Date.now() });

export function describeGrantRecordsContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Grant records contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    const rotate = (hash: string, successor: string, familyId: string, opts: { client?: string; graceMs?: number; sealed?: string } = {}) =>
      store.refreshTokens.rotate({
        familyId, tokenHash: hash, clientId: opts.client ?? 'app', successor: token(successor, familyId), successorSealed: opts.sealed ?? `sealed-${successor}`,
        nowMs: Date.now(), graceMs: opts.graceMs ?? 10_000,
      });

    test('authorization requests are stored until they expire', async () => {
      const req = { id: 'r1', client_id: 'app', redirect_uri: 'https://a/cb', scopes: ['a'], state: 's', code_challenge: 'c', csrf_hash: 'h', user_id: null, auth_time: null, expires_at: Date.now() + 300 };
      await store.authorizationRequests.put(req);
      expect(await store.authorizationRequests.get('r1')).toEqual(req);
      await sleep(450);
      expect(await store.authorizationRequests.get('r1')).toBeNull();
      await store.authorizationRequests.put({ ...req, id: 'r2', expires_at: Date.now() + 60_000 });
      await store.authorizationRequests.delete('r2');
      expect(await store.authorizationRequests.get('r2')).toBeNull();
    });

    test('a code is consumed once; a replay reports what it issued; unknown codes are unknown', async () => {
      const code = { code_hash: 'h1', client_id: 'app', redirect_uri: 'https://a/cb', user_id: 'usr_1', scopes: ['a'], code_challenge: 'c', auth_time: 1, expires_at: Date.now() + 60_000 };
      await store.authorizationCodes.save(code);
      expect(await store.authorizationCodes.consume('h1', Date.now(), 60_000)).toEqual({ status: 'consumed', code });
      expect(await store.authorizationCodes.consume('h1', Date.now(), 60_000)).toEqual({ status: 'replayed', issued: null });
      const issued = { access_token_jti: 'j', access_token_expires_at: 5, refresh_family_id: 'f' };
      await store.authorizationCodes.recordIssuance('h1', issued);
      expect(await store.authorizationCodes.consume('h1', Date.now(), 60_000)).toEqual({ status: 'replayed', issued });
      expect(await store.authorizationCodes.consume('nope', Date.now(), 60_000)).toEqual({ status: 'unknown' });
    });

    test('an expired code is unknown', async () => {
      await store.authorizationCodes.save({ code_hash: 'h2', client_id: 'app', redirect_uri: 'r', user_id: 'u', scopes: [], code_challenge: 'c', auth_time: 1, expires_at: Date.now() + 200 });
      await sleep(350);
      expect(await store.authorizationCodes.consume('h2', Date.now(), 60_000)).toEqual({ status: 'unknown' });
    });

    test('a family starts with a live token; get returns only live tokens of live families', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      expect(await store.refreshTokens.get(f.family_id, 't1', Date.now())).toEqual({ token: expect.objectContaining({ token_hash: 't1', family_id: f.family_id, scopes: ['a'] }), family: f });
      expect(await store.refreshTokens.get(f.family_id, 'unknown', Date.now())).toBeNull();
      expect(await store.refreshTokens.get(f.family_id, 't1', f.expires_at)).toBeNull();
    });

    test('rotate: live → rotated; retry in grace → the same sealed successor; past grace → reuse revokes the family', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      await store.refreshTokens.addAccessToken(f.family_id, { jti: 'at1', expires_at: 123 });
      expect(await rotate('t1', 't2', f.family_id, { graceMs: 300 })).toEqual({ outcome: 'rotated', family: f });
      expect(await store.refreshTokens.get(f.family_id, 't1', Date.now())).toBeNull();
      expect((await store.refreshTokens.get(f.family_id, 't2', Date.now()))?.token.family_id).toBe(f.family_id);
      expect(await rotate('t1', 'tX', f.family_id, { graceMs: 300 })).toEqual({ outcome: 'grace', family: f, successor_sealed: 'sealed-t2' });
      await sleep(400);
      expect(await rotate('t1', 'tY', f.family_id, { graceMs: 300 })).toEqual({ outcome: 'reuse', family: f, access_tokens: [{ jti: 'at1', expires_at: 123 }] });
      expect(await store.refreshTokens.get(f.family_id, 't2', Date.now())).toBeNull();
      expect(await rotate('t2', 'tZ', f.family_id)).toEqual({ outcome: 'invalid' });
    });

    test('a rotation given the family as read before answers with it; given another family, with its own; grace, reuse and another client as without', async () => {
      const f = family({ jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      await store.refreshTokens.addAccessToken(f.family_id, { jti: 'at1', expires_at: 123 });
      const withKnown = (hash: string, successor: string, known: RefreshFamilyRecord, client = 'app') => store.refreshTokens.rotate({
        familyId: f.family_id, tokenHash: hash, clientId: client, successor: token(successor, f.family_id), successorSealed: `sealed-${successor}`,
        nowMs: Date.now(), graceMs: 300, known,
      });
      const read = (await store.refreshTokens.get(f.family_id, 't1', Date.now()))!.family;
      expect(await withKnown('t1', 't2', read, 'other')).toEqual({ outcome: 'wrong_client' });
      expect(await withKnown('t1', 't2', read)).toEqual({ outcome: 'rotated', family: f });
      // Another family's record is not taken for this one's.
      const other = family();
      expect(await withKnown('t2', 't3', other)).toEqual({ outcome: 'rotated', family: f });
      expect((await store.refreshTokens.get(f.family_id, 't3', Date.now()))?.family).toEqual(f);
      expect(await withKnown('t2', 'tX', read)).toEqual({ outcome: 'grace', family: f, successor_sealed: 'sealed-t3' });
      expect(await withKnown('t1', 'tY', read)).toEqual({ outcome: 'reuse', family: f, access_tokens: [{ jti: 'at1', expires_at: 123 }] });
      expect(await withKnown('t3', 'tZ', read)).toEqual({ outcome: 'invalid' });
    });

    test('a family bound to a DPoP key keeps its thumbprint through get, rotation, grace and reuse', async () => {
      const f = family({ jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
      await store.refreshTokens.createFamily(f, token('k1', f.family_id));
      expect((await store.refreshTokens.get(f.family_id, 'k1', Date.now()))?.family).toEqual(f);
      expect(await rotate('k1', 'k2', f.family_id, { graceMs: 300 })).toEqual({ outcome: 'rotated', family: f });
      expect((await store.refreshTokens.get(f.family_id, 'k2', Date.now()))?.family).toEqual(f);
      expect(await rotate('k1', 'kX', f.family_id, { graceMs: 300 })).toEqual({ outcome: 'grace', family: f, successor_sealed: 'sealed-k2' });
      await sleep(400);
      expect(await rotate('k1', 'kY', f.family_id, { graceMs: 300 })).toEqual({ outcome: 'reuse', family: f, access_tokens: [] });
      // An unbound family has no jkt at all.
      const plain = family();
      await store.refreshTokens.createFamily(plain, token('p1', plain.family_id));
      expect((await store.refreshTokens.get(plain.family_id, 'p1', Date.now()))?.family).not.toHaveProperty('jkt');
    });

    const rotateChecked = (hash: string, successor: string, familyId: string, checks: { asked: string[] | null; jkt: string | null }) =>
      store.refreshTokens.rotate({
        familyId, tokenHash: hash, clientId: 'app', successor: token(successor, familyId, ['ignored']), successorSealed: `sealed-${successor}`,
        nowMs: Date.now(), graceMs: 10_000, checks,
      });

    test('rotate with checks: a family bound to a key refuses another key or none (key_bound) and its token stays live for the right key', async () => {
      const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
      const f = family({ jkt });
      await store.refreshTokens.createFamily(f, token('c1', f.family_id));
      expect(await rotateChecked('c1', 'c2', f.family_id, { asked: null, jkt: null })).toEqual({ outcome: 'key_bound' });
      expect(await rotateChecked('c1', 'c3', f.family_id, { asked: null, jkt: 'another-thumbprint' })).toEqual({ outcome: 'key_bound' });
      // Nothing changed: the token is live and no grace entry was made (a retry of c1 would otherwise be 'grace').
      expect((await store.refreshTokens.get(f.family_id, 'c1', Date.now()))?.token.token_hash).toBe('c1');
      expect(await store.refreshTokens.get(f.family_id, 'c2', Date.now())).toBeNull();
      expect(await rotateChecked('c1', 'c4', f.family_id, { asked: null, jkt })).toEqual({ outcome: 'rotated', family: f, scopes: ['a'] });
      expect((await store.refreshTokens.get(f.family_id, 'c4', Date.now()))?.token.scopes).toEqual(['a']);
    });

    test('rotate with checks: a scope asked outside the grant is scope_outside with the family, and the token stays live', async () => {
      const f = family({ scopes: ['a', 'b'] });
      await store.refreshTokens.createFamily(f, token('o1', f.family_id, ['a', 'b']));
      expect(await rotateChecked('o1', 'o2', f.family_id, { asked: ['a', 'c'], jkt: null })).toEqual({ outcome: 'scope_outside', family: f });
      expect((await store.refreshTokens.get(f.family_id, 'o1', Date.now()))?.token).toEqual(expect.objectContaining({ token_hash: 'o1', scopes: ['a', 'b'] }));
      expect(await store.refreshTokens.get(f.family_id, 'o2', Date.now())).toBeNull();
      expect(await rotateChecked('o1', 'o3', f.family_id, { asked: null, jkt: null })).toEqual({ outcome: 'rotated', family: f, scopes: ['a', 'b'] });
    });

    test('rotate with checks: the successor keeps the narrower scopes asked, or the live token\'s when none are asked', async () => {
      const f = family({ scopes: ['a', 'b'] });
      await store.refreshTokens.createFamily(f, token('n1', f.family_id, ['a', 'b']));
      expect(await rotateChecked('n1', 'n2', f.family_id, { asked: ['b'], jkt: null })).toEqual({ outcome: 'rotated', family: f, scopes: ['b'] });
      expect((await store.refreshTokens.get(f.family_id, 'n2', Date.now()))?.token).toEqual(expect.objectContaining({ token_hash: 'n2', scopes: ['b'] }));
      // None asked: the live token's (['b']), not the family's grant and not successor.scopes.
      expect(await rotateChecked('n2', 'n3', f.family_id, { asked: null, jkt: null })).toEqual({ outcome: 'rotated', family: f, scopes: ['b'] });
      expect((await store.refreshTokens.get(f.family_id, 'n3', Date.now()))?.token.scopes).toEqual(['b']);
      // RFC 6749 §6: a later refresh may ask the original grant back, since it is within it.
      expect(await rotateChecked('n3', 'n4', f.family_id, { asked: ['a', 'b'], jkt: null })).toEqual({ outcome: 'rotated', family: f, scopes: ['a', 'b'] });
      expect((await store.refreshTokens.get(f.family_id, 'n4', Date.now()))?.token.scopes).toEqual(['a', 'b']);
    });

    test('rotate by another client changes nothing; unknown and expired are invalid', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      expect(await rotate('t1', 't2', f.family_id, { client: 'other' })).toEqual({ outcome: 'wrong_client' });
      expect((await store.refreshTokens.get(f.family_id, 't1', Date.now()))?.token.token_hash).toBe('t1');
      // A token names its family: one whose family is unknown is invalid.
      expect(await rotate('nope', 't3', 'no-such-family')).toEqual({ outcome: 'invalid' });
      const short = family({ expires_at: Date.now() + 200 });
      await store.refreshTokens.createFamily(short, token('s1', short.family_id));
      await sleep(300);
      expect(await rotate('s1', 's2', short.family_id)).toEqual({ outcome: 'invalid' });
    });

    test('a rotation remembers the access token issued with the successor, a retry in grace its own; any other token of the family is reuse', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      const at = (jti: string) => ({ jti, expires_at: 1_000 });
      const step = (hash: string, successor: string, jti: string) => store.refreshTokens.rotate({
        familyId: f.family_id, tokenHash: hash, clientId: 'app', successor: token(successor, f.family_id), successorSealed: `sealed-${successor}`,
        nowMs: Date.now(), graceMs: 10_000, accessToken: at(jti),
      });
      expect(await step('t1', 't2', 'r1')).toEqual({ outcome: 'rotated', family: f });
      expect(await step('t1', 'tX', 'r2')).toEqual({ outcome: 'grace', family: f, successor_sealed: 'sealed-t2' });
      expect(await step('never-issued', 'tY', 'r3')).toEqual({ outcome: 'reuse', family: f, access_tokens: [at('r2'), at('r1')] });
      expect(await store.refreshTokens.get(f.family_id, 't2', Date.now())).toBeNull();
    });

    test('with no grace window a second use is reuse at once', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      await rotate('t1', 't2', f.family_id, { graceMs: 0 });
      expect((await rotate('t1', 't3', f.family_id, { graceMs: 0 })).outcome).toBe('reuse');
    });

    test('revokeFamily ends the live token and returns the access tokens; unknown is null', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      for (let i = 0; i < 55; i++) await store.refreshTokens.addAccessToken(f.family_id, { jti: `j${i}`, expires_at: i });
      const ats = await store.refreshTokens.revokeFamily(f.family_id);
      expect(ats).toHaveLength(50);
      expect(ats![0]).toEqual({ jti: 'j54', expires_at: 54 });
      expect(await store.refreshTokens.get(f.family_id, 't1', Date.now())).toBeNull();
      expect(await store.refreshTokens.revokeFamily('nope')).toBeNull();
    });

    test('an access token is kept only by a live family: after a revocation or a reuse, or for an unknown family, it is refused', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      expect(await store.refreshTokens.addAccessToken(f.family_id, { jti: 'a1', expires_at: 1 })).toBe(true);
      // A reuse revokes the family between a rotation and its access token: that token is not listed, so it is refused.
      await rotate('t1', 't2', f.family_id, { graceMs: 0 });
      expect((await rotate('t1', 't3', f.family_id, { graceMs: 0 })).outcome).toBe('reuse');
      expect(await store.refreshTokens.addAccessToken(f.family_id, { jti: 'a2', expires_at: 2 })).toBe(false);
      expect(await store.refreshTokens.revokeFamily(f.family_id)).toEqual([{ jti: 'a1', expires_at: 1 }]);
      expect(await store.refreshTokens.addAccessToken('nope', { jti: 'a3', expires_at: 3 })).toBe(false);
    });

    test("a user's live families are their sessions, newest first, with when each was last refreshed", async () => {
      const user = `usr_s${++seq}`;
      const older = family({ user_id: user, created_at: Date.now() - 5_000, expires_at: Date.now() + 55_000, client_id: 'app' });
      const newer = family({ user_id: user, client_id: 'other' });
      const someoneElse = family({ user_id: `usr_o${seq}` });
      await store.refreshTokens.createFamily(older, { ...token('o1', older.family_id), created_at: older.created_at });
      await store.refreshTokens.createFamily(newer, { ...token('n1', newer.family_id), created_at: newer.created_at });
      await store.refreshTokens.createFamily(someoneElse, token('x1', someoneElse.family_id));
      expect(await store.refreshTokens.listFamilies(user, Date.now(), 10)).toEqual([
        { family: newer, last_refreshed_at: null },
        { family: older, last_refreshed_at: null },
      ]);
      const rotatedAt = Date.now() + 1;
      await store.refreshTokens.rotate({
        familyId: older.family_id, tokenHash: 'o1', clientId: 'app', successor: { token_hash: 'o2', family_id: older.family_id, scopes: ['a'], created_at: rotatedAt },
        successorSealed: 's', nowMs: rotatedAt, graceMs: 0,
      });
      expect(await store.refreshTokens.getFamily(older.family_id, Date.now())).toEqual({ family: older, last_refreshed_at: rotatedAt });
      expect(await store.refreshTokens.listFamilies(user, Date.now(), 1)).toEqual([{ family: newer, last_refreshed_at: null }]);
      expect(await store.refreshTokens.listFamilies('usr_nobody', Date.now(), 10)).toEqual([]);
      expect(await store.refreshTokens.getFamily('unknown', Date.now())).toBeNull();
    });

    test('revoked, reused and ended families are no longer sessions', async () => {
      const user = `usr_r${++seq}`;
      const revoked = family({ user_id: user });
      const reused = family({ user_id: user });
      const ending = family({ user_id: user, expires_at: Date.now() + 200 });
      const kept = family({ user_id: user });
      for (const [f, t] of [[revoked, 'r1'], [reused, 'u1'], [ending, 'e1'], [kept, 'k1']] as const) {
        await store.refreshTokens.createFamily(f, token(t, f.family_id));
      }
      await store.refreshTokens.revokeFamily(revoked.family_id);
      await rotate('u1', 'u2', reused.family_id, { graceMs: 0 });
      expect((await rotate('u1', 'u3', reused.family_id, { graceMs: 0 })).outcome).toBe('reuse');
      expect(await store.refreshTokens.getFamily(revoked.family_id, Date.now())).toBeNull();
      expect(await store.refreshTokens.getFamily(reused.family_id, Date.now())).toBeNull();
      expect((await store.refreshTokens.listFamilies(user, Date.now(), 10)).map((s) => s.family.family_id).sort())
        .toEqual([ending.family_id, kept.family_id].sort());
      await sleep(300);
      expect((await store.refreshTokens.listFamilies(user, Date.now(), 10)).map((s) => s.family.family_id)).toEqual([kept.family_id]);
      expect(await store.refreshTokens.getFamily(ending.family_id, Date.now())).toBeNull();
    });

    test('20 concurrent rotations of one token: exactly one rotated, the rest grace with the same successor', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => rotate('t1', `n${i}`, f.family_id, { sealed: `sealed-n${i}` })));
      const rotated = results.filter((r) => r.outcome === 'rotated');
      expect(rotated).toHaveLength(1);
      const sealed = new Set(results.flatMap((r) => (r.outcome === 'grace' ? [r.successor_sealed] : [])));
      expect(results.filter((r) => r.outcome === 'grace')).toHaveLength(19);
      expect(sealed.size).toBe(1);
    });

    test('20 concurrent rotations with no grace: exactly one rotated and the family ends revoked', async () => {
      const f = family();
      await store.refreshTokens.createFamily(f, token('t1', f.family_id));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => rotate('t1', `m${i}`, f.family_id, { graceMs: 0 })));
      expect(results.filter((r) => r.outcome === 'rotated')).toHaveLength(1);
      expect(results.filter((r) => r.outcome === 'rotated' || r.outcome === 'grace' || r.outcome === 'wrong_client')).toHaveLength(1);
      const successor = results.findIndex((r) => r.outcome === 'rotated');
      expect(await store.refreshTokens.get(f.family_id, `m${successor}`, Date.now())).toBeNull();
    });
  });
}
