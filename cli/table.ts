/** Left-aligned columns separated by three spaces, as kubectl prints them. */
export function formatTable(rows: string[][]): string {
  return alignRows(rows, columnWidths(rows)).join('\n');
}

export function columnWidths(rows: string[][], min: number[] = []): number[] {
  const widths = [...min];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return widths;
}

/** rows padded to `widths` (the last cell is not padded) */
export function alignRows(rows: string[][], widths: number[]): string[] {
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   '));
}
