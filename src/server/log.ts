// Logging in Redis's line format ("pid:M 26 Nov 2026 01:02:03.456 * message") to stdout or a file.

import { appendFileSync } from "node:fs";

const LEVELS = ["debug", "verbose", "notice", "warning", "nothing"] as const;
export type LogLevel = (typeof LEVELS)[number];
const MARK = [".", "-", "*", "#"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export class Logger {
  private level = 2;
  private file = "";
  role = "M";

  setLevel(l: string): void {
    this.level = Math.max(0, LEVELS.indexOf(l as LogLevel));
  }

  setFile(f: string): void {
    this.file = f;
  }

  private write(lvl: number, msg: string): void {
    if (lvl < this.level) return;
    const d = new Date();
    const p2 = (n: number) => String(n).padStart(2, "0");
    const ts = `${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
    const line = `${process.pid}:${this.role} ${ts} ${MARK[lvl]} ${msg}\n`;
    if (this.file) {
      try {
        appendFileSync(this.file, line);
        return;
      } catch {
        // fall back to stdout when the log file cannot be written
      }
    }
    process.stdout.write(line);
  }

  debug(m: string): void {
    this.write(0, m);
  }
  verbose(m: string): void {
    this.write(1, m);
  }
  notice(m: string): void {
    this.write(2, m);
  }
  warning(m: string): void {
    this.write(3, m);
  }
  /** DEBUG LOG and similar: written at the given level name. */
  at(level: string, m: string): void {
    this.write(Math.max(0, LEVELS.indexOf(level as LogLevel)), m);
  }
}
