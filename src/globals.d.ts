// Buffer's fast latin1 codecs exist at run time in Bun (as in Node) but are not in the types.
export {};

declare global {
  interface Buffer {
    latin1Write(s: string, offset?: number, length?: number): number;
    latin1Slice(start?: number, end?: number): string;
  }
}
