#!/usr/bin/env bun
// `bun run docs`: writes docs/COMMANDS.md from the command table (specs.ts + handlers),
// so the reference can never disagree with what the server does.
import { HANDLERS } from "../src/commands/index.ts";
import { CommandTable, type Command } from "../src/commands/table.ts";
import { SPECS } from "../src/commands/specs.ts";
import { join } from "node:path";

const table = new CommandTable(HANDLERS);

function syntax(args: unknown[] | undefined): string {
  const one = (a: Record<string, unknown>): string => {
    const flags = (a.flags as string[] | undefined) ?? [];
    let s: string;
    const kids = a.arguments as Record<string, unknown>[] | undefined;
    if (a.type === "pure-token") s = String(a.token);
    else if (a.type === "oneof") s = kids!.map(one).join(" | ");
    else if (a.type === "block") s = kids!.map(one).join(" ");
    else s = String(a.name);
    if (a.token && a.type !== "pure-token") s = `${a.token} ${s}`;
    if (a.type === "oneof" && !flags.includes("optional")) s = `<${s}>`;
    if (flags.includes("multiple")) s = `${s} [${s} ...]`;
    if (flags.includes("optional")) s = `[${s}]`;
    return s;
  };
  return (args ?? []).map((a) => one(a as Record<string, unknown>)).join(" ");
}

function row(cmd: Command): string {
  const name = cmd.name.toUpperCase().replace("|", " ");
  const keys = cmd.first ? `${cmd.first}..${cmd.last}/${cmd.step}` : cmd.keySpecs.length ? "see key specs" : "-";
  const text = `${name} ${syntax(cmd.spec.args)}`.trim().replace(/\|/g, "\\|");
  return `| \`${text}\` | ${cmd.arity} | ${cmd.flagNames.join(", ")} | ${keys} | ${cmd.acl.map((a) => "@" + a).join(" ")} | ${cmd.spec.summary ?? ""} |`;
}

const groups = new Map<string, Command[]>();
for (const cmd of table.each()) {
  if (cmd.subs && !cmd.handler) continue;
  const g = cmd.group;
  if (!groups.has(g)) groups.set(g, []);
  groups.get(g)!.push(cmd);
}
const missing = Object.keys(SPECS).filter((n) => !table.all.has(n));
let md = `# AiKv commands\n\nGenerated from the command table by \`bun run docs\`; do not edit.\n${table.all.size} commands served.\n\nColumns: syntax, arity (negative: at least), flags, key positions (first..last/step), ACL categories, summary.\n\n`;
for (const [g, cmds] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
  md += `## ${g}\n\n| command | arity | flags | keys | ACL | summary |\n|---|---:|---|---|---|---|\n`;
  for (const cmd of cmds.sort((a, b) => a.name.localeCompare(b.name))) md += row(cmd) + "\n";
  md += "\n";
}
if (missing.length) md += `## Not implemented\n\n${missing.map((m) => `\`${m.toUpperCase()}\``).join(", ")}\n`;
await Bun.write(join(import.meta.dir, "../docs/COMMANDS.md"), md);
console.log(`docs/COMMANDS.md: ${table.all.size} commands, ${missing.length} not implemented`);
