/** A table for people: one row per line, columns padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A moment in a table: ISO 8601, or `-` for never. */
export const when = (date: Date | null) => date?.toISOString() ?? '-';
