// Builds the Rust addon (std-only crate, hand-declared N-API) and places it at native/aikv.node,
// the literal path src/native loads (so `bun build --compile` can embed it).
import { existsSync, copyFileSync } from "node:fs";
import { join } from "node:path";

const dir = import.meta.dir;
if (!existsSync(join(dir, "Cargo.toml"))) {
  console.log("native: no crate yet, skipping");
  process.exit(0);
}
const r = Bun.spawnSync(["cargo", "build", "--release", "--quiet"], { cwd: dir, stdout: "inherit", stderr: "inherit" });
if (r.exitCode !== 0) {
  console.error("native: cargo build failed");
  process.exit(r.exitCode ?? 1);
}
const lib = join(dir, "target", "release", process.platform === "darwin" ? "libaikv_native.dylib" : "libaikv_native.so");
copyFileSync(lib, join(dir, "aikv.node"));
console.log("native: built native/aikv.node");
