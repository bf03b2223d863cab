import { createInterface } from 'node:readline/promises';

/** Where a command writes and how it asks; the terminal in bin/, a recorder in tests. */
export interface CliIo {
  /** Results: the table or the JSON document. */
  stdout(text: string): void;
  /** Errors, notes and progress, so stdout stays parseable with --json. */
  stderr(text: string): void;
  /** Whether a person can answer a question (stdin and stderr are terminals). */
  readonly interactive: boolean;
  /** Asks a yes/no question; true only for an explicit yes. */
  confirm(question: string): Promise<boolean>;
}

/** The process's own streams. */
export function terminalIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    confirm: async (question) => {
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
      } finally {
        prompt.close();
      }
    },
  };
}

/** Left-aligned columns two spaces apart under a header line, no trailing blanks; empty without rows. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** A titled block: `title`, then the body indented, or `(none)` when empty. */
export function formatSection(title: string, body: string): string {
  return `${title}\n${indent(body.trimEnd() || '(none)')}\n`;
}

/** Every non-empty line two spaces in. */
export function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

/** How long ago `time` was, in its largest whole unit: `45s`, `12m`, `5h`, `3d`. */
export function formatAge(time: Date | undefined, now: Date): string {
  if (!time) return '-';
  const seconds = Math.max(0, Math.floor((now.getTime() - time.getTime()) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** `3m ago` for an ISO time, `-` for none. */
export function formatAgo(isoTime: string | null, now: Date): string {
  return isoTime ? `${formatAge(new Date(isoTime), now)} ago` : '-';
}

/** The --json document: indented, ending in a newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A value for a table cell: `-` for nothing. */
export function cell(value: string | number | undefined | null): string {
  return value === undefined || value === null || value === '' ? '-' : String(value);
}
