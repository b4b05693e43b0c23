/**
 * The most clock tolerance any validator of Tessera's access tokens may use:
 * the server's own (`TESSERA_CLOCK_SKEW`) and tessera/verifier's
 * (`clockToleranceSeconds`) are both capped here. A validator accepts a
 * token up to this long after its `exp`, so whatever ends a token early (a
 * revocation-list entry, a revocation-feed entry) is kept this much longer
 * than the token's `exp`, or the token would come back to life.
 */
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;

/** How long past a revoked token's `exp` its revocation is kept. */
export const REVOCATION_MARGIN_MS = MAX_CLOCK_TOLERANCE_SECONDS * 1000;
