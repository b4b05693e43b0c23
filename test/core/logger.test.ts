import { generateKeyPair, SignJWT } from 'jose';
import { createLogger, REDACTED, scrubSecrets } from '../../src/logger.js';
import { generateOpaqueToken } from '../../src/core/tokens/opaque-token.js';
import { seal, sealWithKey } from '../../src/core/crypto/seal.js';
import { derivedSuccessor } from '../../src/core/tokens/refresh-successor.js';

/** A logger at trace level writing to memory; each entry is one parsed line. */
function memoryLogger() {
  const raw: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => { raw.push(line); } });
  return { logger, raw, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

let jwt: string;
beforeAll(async () => {
  const { privateKey } = await generateKeyPair('EdDSA');
  jwt = await new SignJWT({ scope: 'orders:read', client_id: 'c1' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
    .setSubject('c1').setJti('j1').setIssuedAt().setExpirationTime('10m')
    .sign(privateKey);
});

describe('scrubbing secrets by shape', () => {
  test.each([['refresh', 'tsr_'], ['api', 'tsp_']] as const)('%s tokens (%s) are replaced wherever they are in the text', (kind, prefix) => {
    const token = generateOpaqueToken(kind);
    expect(token.startsWith(prefix)).toBe(true);
    expect(scrubSecrets(`revoking ${token}, then ${token}.`)).toBe(`revoking ${REDACTED}, then ${REDACTED}.`);
    expect(scrubSecrets(`/oauth/x%2F${token}?a=1`)).toBe(`/oauth/x%2F${REDACTED}?a=1`);
  });

  test('a JWT is replaced whole: header, payload and signature', () => {
    expect(scrubSecrets(`Bearer ${jwt} rest`)).toBe(`Bearer ${REDACTED} rest`);
    expect(scrubSecrets(`?access_token=${jwt}&x=1`)).toBe(`?access_token=${REDACTED}&x=1`);
  });

  test('a JWE (five segments) and a sealed value are replaced', () => {
    const jwe = `eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..${'a'.repeat(16)}.${'b'.repeat(40)}.${'c'.repeat(22)}`;
    expect(scrubSecrets(`x ${jwe} y`)).toBe(`x ${REDACTED} y`);
    const sealed = seal(generateOpaqueToken('refresh'), generateOpaqueToken('refresh'));
    expect(scrubSecrets(`successor ${sealed}`)).toBe(`successor ${REDACTED}`);
    // Seals of earlier versions (v1) too.
    const v1 = sealWithKey(generateOpaqueToken('refresh'), Buffer.alloc(32, 7), 'v1');
    expect(scrubSecrets(`successor ${v1}`)).toBe(`successor ${REDACTED}`);
    // And a refresh successor's salt as kept for the grace window.
    const { kept } = derivedSuccessor(generateOpaqueToken('refresh'));
    expect(scrubSecrets(`kept ${kept} end`)).toBe(`kept ${REDACTED} end`);
  });

  test('strings that only look a little like tokens are left alone', () => {
    const short = `tsp_short tsr_${'a'.repeat(37)} tsx_${'a'.repeat(38)} eyJ alone, eyJhbGci without a dot, v1.2.3`;
    expect(scrubSecrets(short)).toBe(short);
    const ids = 'tok_AbCdEfGhIjKlMnOp usr_AbCdEfGhIjKlMnOp 3f0b4c1e-9a52-4c2b-8f55-0d6f2a3b9c1d';
    expect(scrubSecrets(ids)).toBe(ids);
  });
});

describe('the logger', () => {
  test('a JWT inside an error message is gone from the message and the stack', () => {
    const { logger, raw, lines } = memoryLogger();
    logger.error({ err: new Error(`cannot use ${jwt}`) }, 'failed');
    expect(raw.join('')).not.toContain(jwt);
    const err = lines()[0]!.err as { message: string; stack: string };
    expect(err.message).toBe(`cannot use ${REDACTED}`);
    expect(err.stack.startsWith(`Error: cannot use ${REDACTED}\n`)).toBe(true);
  });

  test('a tsp_ token deep in a nested object, in an array, and in the message is replaced', () => {
    const { logger, raw, lines } = memoryLogger();
    const token = generateOpaqueToken('api');
    logger.info({ a: { b: { c: { d: { e: { note: `got ${token}` }, list: [token] } } } } }, 'seen %s', token);
    expect(raw.join('')).not.toContain(token);
    const line = lines()[0]!;
    expect(line.msg).toBe(`seen ${REDACTED}`);
    expect(line.a).toEqual({ b: { c: { d: { e: { note: `got ${REDACTED}` }, list: [REDACTED] } } } });
  });

  test('credential keys are censored at the top level and at any depth, whatever their shape', () => {
    const { logger, raw, lines } = memoryLogger();
    logger.info({
      password: 'hunter2-hunter2',
      headers: { authorization: 'Basic Zm9vOmJhcg==', Cookie: 'tessera_authz=abc' },
      req: { headers: { 'set-cookie': ['a=1', 'b=2'] } },
      deep: { x: { y: { z: { w: { client_secret: 'chosen "quoted" secret', code: 'AbC123xyz', csrf: 'c', Authorization: 'Bearer q' } } } } },
    }, 'login');
    const text = raw.join('');
    for (const secret of ['hunter2-hunter2', 'Zm9vOmJhcg==', 'tessera_authz=abc', 'a=1', 'chosen', 'AbC123xyz', 'Bearer q']) {
      expect(text).not.toContain(secret);
    }
    const line = lines()[0]!;
    expect(line.password).toBe(REDACTED);
    expect(line.headers).toEqual({ authorization: REDACTED, Cookie: REDACTED });
    expect(line.req).toEqual({ headers: { 'set-cookie': REDACTED } });
    expect(line.deep).toEqual({ x: { y: { z: { w: { client_secret: REDACTED, code: REDACTED, csrf: REDACTED, Authorization: REDACTED } } } } });
  });

  test('flags and Node error codes under credential keys stay readable', () => {
    const { logger, lines } = memoryLogger();
    const err = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
    logger.warn({ err, code: 'ERR_INVALID_ARG_TYPE', audit: { detail: { refresh_token: true, token: null } } }, 'store problem');
    const line = lines()[0]!;
    expect((line.err as { code: string }).code).toBe('ECONNREFUSED');
    expect(line.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(line.audit).toEqual({ detail: { refresh_token: true, token: null } });
  });

  test('every line stays one valid JSON object', () => {
    const { logger, raw } = memoryLogger();
    logger.info({ deep: { a: { b: { c: { password: 'with "quotes" and \\ backslash\nand newline' } } } } }, `token ${generateOpaqueToken('api')}`);
    expect(raw).toHaveLength(1);
    expect(raw[0]!.endsWith('\n')).toBe(true);
    expect(raw[0]!.slice(0, -1)).not.toContain('\n');
    expect(() => JSON.parse(raw[0]!)).not.toThrow();
  });
});
