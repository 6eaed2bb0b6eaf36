import { appendFile } from 'node:fs/promises';

/**
 * Print what a reliability run measured, and append it as one JSON line to `file` when given
 * (WEIR_RELIABILITY_REPORT: `bench/all.ts` reads the soak's counts from there).
 */
export async function reportTo(file: string | undefined, name: string, result: unknown): Promise<void> {
  const line = JSON.stringify({ name, at: new Date().toISOString(), result });
  console.log(line);
  if (file) await appendFile(file, line + '\n');
}
