/**
 * Walks the login page the way a browser without JavaScript would: GET the
 * authorization URL, read the form, post it with the cookie, and follow
 * through to the redirect back to the client. For tests of client libraries
 * (the browser test drives a real Chromium instead).
 */
interface FormOnPage {
  action: string;
  fields: Record<string, string>;
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag);
  return m ? m[1]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>') : undefined;
}

export function readForm(html: string, base: string): FormOnPage {
  const form = /<form\b[^>]*>/i.exec(html);
  if (!form) throw new Error(`no form on the page: ${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<(input|button)\b[^>]*>/gi)) {
    const name = attr(m[0], 'name');
    if (name && attr(m[0], 'type') !== 'submit') fields[name] = attr(m[0], 'value') ?? '';
  }
  return { action: new URL(attr(form[0], 'action') ?? '', base).toString(), fields };
}

function cookiesOf(res: Response, jar: Map<string, string>): void {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, ...v] = pair!.split('=');
    jar.set(k!.trim(), v.join('='));
  }
}

/** Logs in and approves any consent; returns the URL the server redirected to (the client's redirect_uri with code or error). */
export async function loginThroughForm(authorizeUrl: string, username: string, password: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let res = await fetch(authorizeUrl, { redirect: 'manual' });
  cookiesOf(res, jar);
  if (res.status >= 300 && res.status < 400) return new URL(res.headers.get('location')!);
  let page = readForm(await res.text(), authorizeUrl);
  page.fields.username = username;
  page.fields.password = password;
  for (let step = 0; step < 3; step++) {
    res = await fetch(page.action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie() },
      body: new URLSearchParams(page.fields).toString(),
    });
    cookiesOf(res, jar);
    if (res.status >= 300 && res.status < 400) return new URL(res.headers.get('location')!);
    const html = await res.text();
    page = readForm(html, page.action);
    // A consent page: approve.
    const approve = /<button\b[^>]*name="([^"]+)"[^>]*value="(approve|allow|yes)"/i.exec(html);
    if (approve) page.fields[approve[1]!] = approve[2]!;
  }
  throw new Error('the login did not end in a redirect');
}
