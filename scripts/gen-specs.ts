// One-off generator: reads the command facts (arity, flags, key specs, ACL categories, argument
// syntax) from a running redis-server 7.0 and writes src/commands/specs.ts. Run once to seed the
// table; afterwards specs.ts is maintained by hand. Usage: bun scripts/gen-specs.ts <port>
// Prose (summaries, history, notes) is deliberately not carried over.
import { implicitAcl, FLAG_ORDER } from "../src/commands/spec-rules.ts";

const port = process.argv[2] ?? "6379";
const cli = (...a: string[]) => JSON.parse(Bun.spawnSync(["redis-cli", "-p", port, "--json", ...a]).stdout.toString());
const infos: any[] = cli("command", "info");
const docs: Record<string, any> = cli("command", "docs");

function keySpec(k: any): string {
  const f = JSON.stringify(k.flags.join(" "));
  const bs = k.begin_search, fk = k.find_keys;
  const parts = [`f: ${f}`];
  if (bs.type === "index") parts.push(`i: ${bs.spec.index}`);
  else if (bs.type === "keyword") parts.push(`kw: [${JSON.stringify(bs.spec.keyword)}, ${bs.spec.startfrom}]`);
  else parts.push(`bs: "unknown"`);
  if (fk.type === "range") {
    const { lastkey, keystep, limit } = fk.spec;
    if (!(lastkey === 0 && keystep === 1 && limit === 0)) parts.push(`r: [${lastkey}, ${keystep}, ${limit}]`);
  } else if (fk.type === "keynum") parts.push(`n: [${fk.spec.keynumidx}, ${fk.spec.firstkey}, ${fk.spec.keystep}]`);
  else parts.push(`fk: "unknown"`);
  return `{ ${parts.join(", ")} }`;
}

function entry(c: any, doc: any, indent: string): string {
  const [name, arity, flags, , , , acl, tips, keySpecs, subs] = c;
  const own = (flags as string[]).filter((f) => f !== "movablekeys");
  const implied = new Set(implicitAcl(own, acl));
  const explicit = (acl as string[]).map((a) => a.slice(1)).filter((a) => !implied.has(a));
  const lines: string[] = [];
  lines.push(`arity: ${arity}`);
  lines.push(`flags: ${JSON.stringify(own.join(" "))}`);
  if (explicit.length) lines.push(`acl: ${JSON.stringify(explicit.join(" "))}`);
  if (tips.length) lines.push(`tips: ${JSON.stringify(tips)}`);
  if (keySpecs.length) lines.push(`keys: [${keySpecs.map(keySpec).join(", ")}]`);
  if (doc) {
    lines.push(`since: ${JSON.stringify(doc.since)}`);
    if (doc.doc_flags) lines.push(`docFlags: ${JSON.stringify(doc.doc_flags)}`);
    if (doc.deprecated_since) lines.push(`deprecatedSince: ${JSON.stringify(doc.deprecated_since)}`);
    if (doc.replaced_by) lines.push(`replacedBy: ${JSON.stringify(doc.replaced_by)}`);
    if (doc.arguments) lines.push(`args: ${JSON.stringify(doc.arguments)}`);
  }
  if (subs.length) {
    const inner = subs
      .slice()
      .sort((a: any, b: any) => a[0].localeCompare(b[0]))
      .map((s: any) => `${indent}    ${JSON.stringify(s[0].split("|")[1])}: {\n${entry(s, doc?.subcommands?.[s[0]], indent + "    ")}\n${indent}    },`)
      .join("\n");
    lines.push(`subs: {\n${inner}\n${indent}  }`);
  }
  void FLAG_ORDER;
  return lines.map((l) => `${indent}    ${l},`).join("\n");
}

const groups = new Map<string, string[]>();
for (const c of infos.sort((a, b) => a[0].localeCompare(b[0]))) {
  const doc = docs[c[0]];
  const g = doc?.group ?? "server";
  if (!groups.has(g)) groups.set(g, []);
  groups.get(g)!.push(`  ${JSON.stringify(c[0])}: {\n    group: ${JSON.stringify(g)},\n${entry(c, doc, "")}\n  },`);
}
let out = `// The command table: every fact about every command, declared once (see DESIGN.md).
// Seeded from redis-server 7.0 by scripts/gen-specs.ts; maintained by hand since.
// Derived facts (first/last/step, movablekeys, implicit ACL categories) are computed in table.ts.
import type { SpecTable } from "./spec-rules.ts";

export const SPECS: SpecTable = {
`;
for (const [g, entries] of [...groups].sort()) out += `  // ---- ${g} ----\n${entries.join("\n")}\n`;
out += "};\n";
await Bun.write(new URL("../src/commands/specs.ts", import.meta.url), out);
console.log("wrote", infos.length, "commands");
