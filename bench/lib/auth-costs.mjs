// What authentication costs on the running Tessera (default password-hash
// cost, Redis store), measured over HTTP:
// - a login through the form (one scrypt at TESSERA_PASSWORD_HASH_COST),
//   one at a time (latency) and several at once (logins per second);
// - client authentication at the token endpoint: a right generated secret
//   (SHA-256), a right chosen one (scrypt), and a wrong secret for an
//   unknown id, a client with a generated secret and one with a chosen
//   secret. The three failures should cost the same (one scrypt each), so
//   that their time does not tell which ids exist. Kinds are interleaved so
//   machine drift hits each alike.
import { CLIENT_ID, FORM, REDIRECT_URI, SCOPE, basic } from './seed.mjs';

const PASSWORD = 'auth-cost-user-password-0123';
/** One user per login in flight: a user's attempts are counted before they are checked, so parallel logins of one user would pause it. */
const user = (i) => `auth-cost-user-${i}`;
const CHOSEN_ID = 'bench-chosen-secret';
const CHOSEN_SECRET = 'a secret a person chose for the benchmark';

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function expectStatus(res, status, what) {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${text.slice(0, 200)}`);
}

/** Opens a login page (not timed); returns the timed POST of the form. */
async function loginAttempt(base, username) {
  const q = new URLSearchParams({
    response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, state: 's',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', scope: SCOPE,
  });
  const page = await fetch(`${base}/oauth/authorize?${q}`);
  const html = await page.text();
  const field = (name) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const body = new URLSearchParams({ request_id: field('request_id'), csrf: field('csrf'), username, password: PASSWORD }).toString();
  return () => fetch(`${base}/oauth/authorize/login`, { method: 'POST', redirect: 'manual', headers: { Cookie: cookie, 'Content-Type': FORM }, body })
    .then((res) => expectStatus(res, 303, 'login'));
}

function tokenCall(base, id, secret, status) {
  return () => fetch(`${base}/oauth/token`, {
    method: 'POST', headers: { Authorization: basic(id, secret), 'Content-Type': FORM }, body: 'grant_type=client_credentials',
  }).then((res) => expectStatus(res, status, `client ${id}`));
}

export async function measureAuthCosts(ctx, { n, log }) {
  const base = ctx.servers.tessera.url;
  const seed = ctx.seed;
  // A client with a chosen secret, made through the admin API (hashed at the server's cost).
  const made = await fetch(`${base}/admin/v1/clients`, {
    method: 'POST', headers: { Authorization: `Bearer ${seed.admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_id: CHOSEN_ID, client_secret: CHOSEN_SECRET, grant_types: ['client_credentials'], scopes: [] }),
  });
  if (made.status !== 201 && made.status !== 409) throw new Error(`creating ${CHOSEN_ID}: ${made.status}`);
  const parallel = 8;
  for (let i = 0; i < parallel; i++) {
    const res = await fetch(`${base}/admin/v1/users`, {
      method: 'POST', headers: { Authorization: `Bearer ${seed.admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: user(i), password: PASSWORD, roles: ['bench-reader'] }),
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating ${user(i)}: ${res.status}`);
  }

  log(`auth costs: ${n} sequential logins`);
  const loginMs = [];
  for (let i = 0; i < n; i++) {
    const post = await loginAttempt(base, user(0));
    loginMs.push(await timed(post));
  }
  const batches = [];
  for (let w = 0; w < parallel; w++) {
    const mine = [];
    for (let i = w; i < n; i += parallel) mine.push(await loginAttempt(base, user(w)));
    batches.push(mine);
  }
  log(`auth costs: ${n} logins, ${parallel} users at a time`);
  const wall = await timed(() => Promise.all(batches.map(async (mine) => { for (const post of mine) await post(); })));

  const kinds = {
    'right generated secret (SHA-256)': tokenCall(base, seed.clientId, seed.secret, 200),
    'right chosen secret (scrypt)': tokenCall(base, CHOSEN_ID, CHOSEN_SECRET, 200),
    'wrong secret, unknown client_id': tokenCall(base, 'no-such-client', 'wrong secret', 401),
    'wrong secret, client with a generated secret': tokenCall(base, seed.clientId, 'wrong secret', 401),
    'wrong secret, client with a chosen secret': tokenCall(base, CHOSEN_ID, 'wrong secret', 401),
  };
  log(`auth costs: ${n} client authentications of each of ${Object.keys(kinds).length} kinds, interleaved`);
  const times = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (const fn of Object.values(kinds)) await fn();
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of Object.entries(kinds)) times[k].push(await timed(fn));
  }
  return {
    n,
    login: { p50: quantile(loginMs, 0.5), p95: quantile(loginMs, 0.95), perSecond: (n / wall) * 1000, parallel },
    clientAuth: Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, { p50: quantile(xs, 0.5), p95: quantile(xs, 0.95) }])),
  };
}

export function renderAuthCosts(a) {
  const ms = (v) => v.toFixed(1);
  const rows = [
    '| what | p50 ms | p95 ms |',
    '| --- | ---: | ---: |',
    `| login through the form (one at a time) | ${ms(a.login.p50)} | ${ms(a.login.p95)} |`,
    ...Object.entries(a.clientAuth).map(([k, v]) => `| client authentication at /oauth/token: ${k} | ${ms(v.p50)} | ${ms(v.p95)} |`),
  ];
  const failures = Object.entries(a.clientAuth).filter(([k]) => k.startsWith('wrong')).map(([, v]) => v.p50);
  const spread = Math.max(...failures) / Math.min(...failures);
  return `${rows.join('\n')}\n\nLogins of ${a.login.parallel} users at once: ${a.login.perSecond.toFixed(1)} per second. ` +
    `The three failures' medians are within ${((spread - 1) * 100).toFixed(0)} % of each other (${a.n} of each, interleaved).`;
}
