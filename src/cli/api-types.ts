/**
 * The generated schema types as the generated client answers them.
 * openapi-fetch passes answers through openapi-typescript-helpers'
 * Readable<>, which drops every property whose type is only `null` (an
 * anonymous actor's `id: null`, a public client's `secret_rotated_at: null`):
 * it tests `NonNullable<T[K]> extends $Write<any>`, and NonNullable<null> is
 * never. Answer<> drops the same properties, so an answer is assignable to
 * it, and stays so once that is fixed (extra properties are fine).
 */
import type { components } from '../client/tessera-client.js';

export type Answer<T> = T extends (infer E)[]
  ? Answer<E>[]
  : T extends object
    ? { [K in keyof T as [T[K]] extends [null] ? never : [T[K]] extends [null | undefined] ? never : K]: Answer<T[K]> }
    : T;

/** `Schema<'ApiToken'>`: components['schemas']['ApiToken'] as answered. */
export type Schema<Name extends keyof components['schemas']> = Answer<components['schemas'][Name]>;
