/**
 * The shape of a revocation-feed cursor, checked at the edge before any
 * store sees it: up to 32 stream positions separated by `.` (one per shard
 * of the Redis store, see redis/sharded-stream.ts; one for the memory store
 * and for cursors of versions with a single stream), each `<ms>-<seq>` or a
 * bare `<ms>`. Whether the positions fit the store is the store's call.
 */
export const FEED_CURSOR_PATTERN = /^\d{1,15}(?:-\d{1,20})?(?:\.\d{1,15}(?:-\d{1,20})?){0,31}$/;
