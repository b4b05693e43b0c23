export type ChromiumSource = 'env' | 'path' | 'package' | 'apt';
export declare const SOURCES: ChromiumSource[];
export interface FoundChromium {
  /** The executable. */
  path: string;
  /** Where it came from and its version, for the run's log. */
  source: string;
}
export declare function findOrProvideChromium(options?: { sources?: ChromiumSource[]; log?: (line: string) => void }): Promise<FoundChromium>;
