/**
 * The `sub` a trust policy gives the tokens it issues: a template with
 * `{claim}` placeholders filled from the external token's claims, e.g.
 * `github:{repository}` or the default `{sub}`. Only top-level claims of
 * string or number type fill a placeholder; a missing one refuses the token
 * rather than issuing a token for a half-filled subject.
 */

export const TEMPLATE_PROBLEM = 'must be text with {claim} placeholders';
const PLACEHOLDER = /\{([A-Za-z0-9_.:/-]{1,100})\}/g;
const MAX_SUBJECT = 256;

/** Why `template` is not usable, or null. */
export function templateProblem(template: string): string | null {
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{') || rest.includes('}')) return 'a { or } that is not part of a {claim} placeholder';
  return null;
}

/** The subject for `claims`, or null when a placeholder's claim is missing, not a string or number, or the result too long. */
export function renderSubject(template: string, claims: Record<string, unknown>): string | null {
  let missing = false;
  const out = template.replace(PLACEHOLDER, (_m, name: string) => {
    const v = claims[name];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    missing = true;
    return '';
  });
  return missing || out.length === 0 || out.length > MAX_SUBJECT ? null : out;
}
