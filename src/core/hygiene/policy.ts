/** What the token-hygiene jobs do, from configuration (TESSERA_API_TOKEN_EXPIRY_WARNINGS, ..._UNUSED_*). */
export type UnusedAction = 'none' | 'revoke' | 'expire';

export interface HygienePolicy {
  /** Seconds before expiry at which an `api_token.expiring` event is sent, largest first; empty: none. */
  expiryWarnings: readonly number[];
  /** Seconds without a use after which a token is unused (event, report); null: never. */
  unusedAfter: number | null;
  /** What happens to an unused token once `unusedGrace` has passed since its warning, if it is still unused. */
  unusedAction: UnusedAction;
  unusedGrace: number;
}

/** The system actor of the policies' own actions and events. */
export const HYGIENE_ACTOR = { type: 'system', id: 'token-hygiene' } as const;

const DAY = 86_400;

/** `7 days`, `1 day`, `36 hours`, `90 minutes`, `45 seconds`: how people read a duration. */
export function humanDuration(seconds: number): string {
  const unit = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (seconds % DAY === 0) return unit(seconds / DAY, 'day');
  if (seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds % 60 === 0) return unit(seconds / 60, 'minute');
  return unit(seconds, 'second');
}
