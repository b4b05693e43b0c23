/**
 * The login, consent and error pages: small, server-rendered, no script,
 * every value HTML-escaped, styled by one external stylesheet so the CSP
 * needs no 'unsafe-inline'. Readable on a phone (viewport meta, fluid width).
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The page every HTML answer shares; `wide` for content wider than a form (GET /). */
export function pageLayout(title: string, body: string, wide = false): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/oauth/assets/tessera.css">
</head>
<body>
<main class="card${wide ? ' wide' : ''}">
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageModel {
  clientName: string;
  requestId: string;
  csrf: string;
  username?: string;
  error?: string;
}

export function loginPage(m: LoginPageModel): string {
  return pageLayout('Sign in', `<h1>Sign in</h1>
<p class="lead">to continue to <strong>${escapeHtml(m.clientName)}</strong></p>
${m.error ? `<p class="error" role="alert">${escapeHtml(m.error)}</p>` : ''}
<form method="post" action="/oauth/authorize/login">
<input type="hidden" name="request_id" value="${escapeHtml(m.requestId)}">
<input type="hidden" name="csrf" value="${escapeHtml(m.csrf)}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(m.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`);
}

// Scopes in words for the consent page; unknown scopes are shown by name.
const SCOPE_WORDS: Record<string, string> = {
  offline_access: 'Stay signed in (keep access when you are away)',
  'tessera:admin': 'Administer this Tessera server',
  'tessera:tokens': 'Manage your API tokens',
};

export function describeScope(scope: string): string {
  const known = SCOPE_WORDS[scope];
  if (known) return known;
  const [resource, action] = scope.split(':');
  if (resource && action === 'read') return `Read your ${resource} (${scope})`;
  if (resource && action === 'write') return `Change your ${resource} (${scope})`;
  return scope;
}

export interface ConsentPageModel {
  clientName: string;
  username: string;
  scopes: readonly string[];
  requestId: string;
  csrf: string;
}

export function consentPage(m: ConsentPageModel): string {
  const items = m.scopes.length
    ? m.scopes.map((s) => `<li>${escapeHtml(describeScope(s))}</li>`).join('\n')
    : '<li>Know who you are</li>';
  return pageLayout('Allow access?', `<h1>Allow access?</h1>
<p class="lead"><strong>${escapeHtml(m.clientName)}</strong> wants to act for <strong>${escapeHtml(m.username)}</strong>:</p>
<ul class="scopes">
${items}
</ul>
<form method="post" action="/oauth/authorize/consent">
<input type="hidden" name="request_id" value="${escapeHtml(m.requestId)}">
<input type="hidden" name="csrf" value="${escapeHtml(m.csrf)}">
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`);
}

export function errorPage(message: string): string {
  return pageLayout('Cannot continue', `<h1>Cannot continue</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>
<p>Go back to the application and try again. If this keeps happening, tell the application's owner.</p>`);
}

export const STYLESHEET = `*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:#f3f4f6;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827}
.card{width:100%;max-width:24rem;margin:1rem;padding:1.5rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{margin:0 0 .25rem;font-size:1.5rem}
.lead{margin:0 0 1rem;color:#4b5563}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;padding:.65rem .75rem;border:1px solid #d1d5db;border-radius:.5rem;font-size:1rem}
input:focus{outline:2px solid #2563eb;outline-offset:1px}
button{width:100%;margin-top:1rem;padding:.7rem;border:0;border-radius:.5rem;background:#2563eb;color:#fff;font-size:1rem;font-weight:600;cursor:pointer}
button.secondary{background:#e5e7eb;color:#111827;margin-top:.5rem}
.error{padding:.6rem .75rem;border-radius:.5rem;background:#fef2f2;color:#991b1b}
.scopes{padding-left:1.25rem}
.wide{max-width:48rem}
h2{margin:1.25rem 0 .5rem;font-size:1.1rem}
code{font-size:.875rem;word-break:break-all}
li{margin:.25rem 0}
`;
