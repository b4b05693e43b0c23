/** fresh (Express's own freshness check, behind `req.fresh`) ships no types. */
declare module 'fresh' {
  /**
   * Whether a cached representation is still fresh (RFC 9110 §13.1.2,
   * If-None-Match by weak comparison; If-Modified-Since), given the request's
   * headers and the answer's ETag and Last-Modified.
   */
  function fresh(
    requestHeaders: Record<string, string | string[] | undefined>,
    responseHeaders: { etag?: string | undefined; 'last-modified'?: string | undefined },
  ): boolean;
  export default fresh;
}
