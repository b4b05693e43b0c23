import type { RequestHandler } from 'express';
import { MethodNotAllowedError } from '../core/errors.js';

/** For the methods a path does not serve: 405 with `Allow` rather than a misleading 404. */
export function onlyMethods(...allow: string[]): RequestHandler {
  return () => {
    throw new MethodNotAllowedError(allow);
  };
}
