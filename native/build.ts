// Builds the Rust addon (std-only crate, hand-declared N-API) and places it at native/aikv.node,
// the literal path src/native/index.ts requires (so `bun build --compile` can embed it).
// Run by `bun install` (postinstall) and `bun run build:native`.
//
// Environment: AIKV_NATIVE_PROFILE=debug builds without optimizations; AIKV_ZSTD_DYNAMIC=1
// links the shared libzstd instead of the static archive (see native/build.rs).
import { copyFileSync, existsSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";

const dir = import.meta.dir;
if (!existsSync(join(dir, "Cargo.toml"))) {
  console.log("native: no crate, skipping");
  process.exit(0);
}
const debug = process.env.AIKV_NATIVE_PROFILE === "debug";
const args = ["cargo", "build", "--quiet", ...(debug ? [] : ["--release"])];
let r;
try {
  r = Bun.spawnSync(args, { cwd: dir, stdout: "inherit", stderr: "inherit" });
} catch (e) {
  console.error(`native: cannot run cargo (${e instanceof Error ? e.message : e}); install Rust (cargo) and libzstd-dev`);
  process.exit(1);
}
if (r.exitCode !== 0) {
  console.error("native: cargo build failed (needs cargo and libzstd-dev)");
  process.exit(r.exitCode ?? 1);
}
const profile = debug ? "debug" : "release";
const lib = join(dir, "target", profile, process.platform === "darwin" ? "libaikv_native.dylib" : "libaikv_native.so");
// Copy then rename: running processes that have the old aikv.node mapped keep their inode
// instead of seeing the file rewritten under them.
const out = join(dir, "aikv.node");
const tmp = `${out}.${process.pid}.tmp`;
try {
  copyFileSync(lib, tmp);
  renameSync(tmp, out);
} catch (e) {
  if (existsSync(tmp)) unlinkSync(tmp);
  throw e;
}
console.log(`native: built native/aikv.node (${profile})`);
