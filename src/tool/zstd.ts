// zstd for snapshot files (aikv-tool export/import of *.zst), via zstd-napi. Loaded lazily:
// the server itself does not need it.

/** zstd frames start with these bytes (RFC 8878). */
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

export function isZstd(b: Uint8Array): boolean {
  return b.length >= 4 && MAGIC.every((m, i) => b[i] === m);
}

type ZstdNapi = {
  compress(b: Uint8Array, params?: Record<string, number>): Buffer;
  decompress(b: Uint8Array): Buffer;
};

function lib(): ZstdNapi {
  return require("zstd-napi") as ZstdNapi;
}

export function zstdCompress(b: Uint8Array, level = 3): Buffer {
  return lib().compress(b, { compressionLevel: level });
}

export function zstdDecompress(b: Uint8Array): Buffer {
  return lib().decompress(b);
}
