/**
 * The package's main entry: run Tessera inside another Node program
 * (`createTessera` builds the Express app from a parsed config). Resource
 * servers want `@tessera-auth/server/verifier` instead.
 */
export { createTessera, type Tessera, type TesseraOptions } from './server.js';
export { loadConfig, type Config } from './config/config.js';
export { generateOpaqueToken, parseOpaqueToken, findOpaqueTokens } from './core/tokens/opaque-token.js';
