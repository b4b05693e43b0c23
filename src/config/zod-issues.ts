/**
 * zod's problems as lines a person can act on: `path: message`, and for an
 * unknown key the known key it most likely meant ("did you mean ...?"),
 * found by walking the schema to where the key was.
 */
import type { z } from 'zod';
import { likelyMeant } from './did-you-mean.js';

interface Def { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; valueType?: z.ZodType; in?: z.ZodType }
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The object schema at `path` (array indexes and record keys stepped over), unwrapping optional, default and pipe. */
function objectAt(schema: z.ZodType, path: readonly PropertyKey[]): Def | undefined {
  let def = defOf(schema);
  let i = 0;
  for (;;) {
    const inner = def.innerType ?? def.in;
    if (inner) def = defOf(inner);
    else if (i === path.length) return def.type === 'object' ? def : undefined;
    else if (def.type === 'object' && def.shape && typeof path[i] === 'string' && path[i]! in def.shape) def = defOf(def.shape[path[i++] as string]!);
    else if (def.type === 'array' && def.element) { def = defOf(def.element); i++; }
    else if (def.type === 'record' && def.valueType) { def = defOf(def.valueType); i++; }
    else return undefined;
  }
}

/** One line per problem; `prefix` names the whole (e.g. `body`) when the problem is at the top. */
export function describeIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], prefix = '(root)'): string[] {
  return issues.flatMap((issue) => {
    const where = issue.path.length ? issue.path.join('.') : prefix;
    if (issue.code !== 'unrecognized_keys') return [`${where}: ${issue.message}`];
    const known = Object.keys(objectAt(schema, issue.path)?.shape ?? {});
    return issue.keys.map((key) => {
      const meant = likelyMeant(key, known);
      // Single quotes: an OAuth error_description may not carry double quotes (RFC 6749 §5.2).
      return `${where}: unknown key '${key}'${meant ? ` (did you mean '${meant}'?)` : ''}`;
    });
  });
}
