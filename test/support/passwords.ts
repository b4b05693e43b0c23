/** A password hasher for unit tests: the cheapest cost the server accepts, so suites stay fast (the default cost has its own test). */
import { MIN_PASSWORD_HASH_COST, PasswordHasher } from '../../src/core/crypto/password-hasher.js';

export function cheapHasher(concurrency = 2): PasswordHasher {
  return new PasswordHasher({ cost: MIN_PASSWORD_HASH_COST, concurrency });
}
