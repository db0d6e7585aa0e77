#!/usr/bin/env bun
// `bun run compile`: one executable, dist/aikv, with the native addon embedded.
// bun embeds a .node file only when it is required by a literal path (src/native/index.ts
// does that). No --minify: identifier minification breaks fengari (whitespace is fine).
import { mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
if (!existsSync(join(root, "native/aikv.node"))) {
  const b = Bun.spawnSync(["bun", "native/build.ts"], { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (b.exitCode !== 0) process.exit(b.exitCode ?? 1);
}
mkdirSync(join(root, "dist"), { recursive: true });
const outfile = join(root, "dist/aikv");
const r = Bun.spawnSync(
  ["bun", "build", "src/main.ts", "--compile", "--minify-whitespace", "--sourcemap", "--outfile", outfile],
  { cwd: root, stdout: "inherit", stderr: "inherit" },
);
if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
console.log(`built ${outfile}`);
