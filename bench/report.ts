/** One table of the report, printed as text to the terminal and as Markdown for the README. */
export interface Section {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes?: readonly string[];
}

/** The section as aligned plain text. */
export function renderText(section: Section): string {
  const widths = section.headers.map((header, column) =>
    Math.max(header.length, ...section.rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [
    section.title,
    '='.repeat(section.title.length),
    line(section.headers),
    line(widths.map((width) => '-'.repeat(width))),
    ...section.rows.map(line),
    ...(section.notes ?? []).map((note) => `  * ${note}`),
  ].join('\n');
}

/** The section as a Markdown heading, table and note list. */
export function renderMarkdown(section: Section, level = 3): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const row = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`;
  return [
    `${'#'.repeat(level)} ${section.title}`,
    '',
    row(section.headers),
    row(section.headers.map(() => '---')),
    ...section.rows.map(row),
    ...(section.notes?.length ? ['', ...section.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}
