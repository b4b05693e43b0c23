/**
 * POST /oauth/leaked/github — GitHub's secret-scanning partner program:
 * GitHub POSTs the Tessera tokens it found in public code as a JSON array
 * of `{token, type, url, source}`, signed (`Github-Public-Key-Identifier`,
 * `Github-Public-Key-Signature`: ECDSA P-256 SHA-256 over the raw body).
 * Live tokens are revoked, and the answer labels each match
 * `true_positive` or `false_positive` by the SHA-256 of the token (the
 * program's feedback format), never echoing a secret back.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { createHash } from 'node:crypto';
import { InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { MAX_LEAK_REPORT_TOKENS } from '../../core/api-tokens/leaked-tokens.js';
import type { AppContext } from '../context.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { keepingContext } from '../request-context.js';

const Matches = z.array(z.object({
  token: z.string().min(1).max(512),
  type: z.string().min(1).max(200),
  url: z.string().max(2000).optional(),
  source: z.string().max(100).optional(),
})).min(1).max(MAX_LEAK_REPORT_TOKENS);

const header = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);

export function githubLeaksRoute(ctx: AppContext): Router {
  const router = Router();
  // The signature covers the raw bytes: the body is parsed only once it verifies.
  const raw = keepingContext(express.raw({ type: () => true, limit: '1mb' }));
  router.post('/oauth/leaked/github', raw, async (req, res) => {
    const keys = ctx.secretScanningKeys;
    if (!keys) throw new NotFoundError('secret scanning reports are not enabled here (TESSERA_SECRET_SCANNING_KEYS)');
    const keyId = header(req.headers['github-public-key-identifier']);
    const signature = header(req.headers['github-public-key-signature']);
    if (!keyId || !signature) throw new InvalidRequestError('Github-Public-Key-Identifier and Github-Public-Key-Signature are required');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = await keys.check(keyId, signature, body);
    if (check !== 'valid') {
      throw new InvalidRequestError(check === 'unknown_key' ? 'Github-Public-Key-Identifier names no known key' : 'Github-Public-Key-Signature does not verify');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new InvalidRequestError('the body is not JSON');
    }
    const matches = Matches.safeParse(parsed);
    if (!matches.success) throw new InvalidRequestError(`the body is not a list of {token, type, url, source} (1 to ${MAX_LEAK_REPORT_TOKENS})`);
    const labels = await ctx.leakedTokens.githubReport(matches.data, { ip: req.ip ?? '' });
    res.status(200).set(NO_STORE).json(matches.data.map((m, i) => ({
      token_hash: createHash('sha256').update(m.token, 'utf8').digest('hex'),
      token_type: m.type,
      label: labels[i],
    })));
  });
  router.all('/oauth/leaked/github', onlyMethods('POST'));
  return router;
}
