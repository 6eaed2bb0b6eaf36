import { stringify } from 'yaml';
import type { KindInfo, KubeObject } from '../../engine/resources/index.js';
import { alignRows, columnWidths } from '../table.js';
import { columnsOf, type RowContext } from './columns/index.js';
import { objectName } from './object-name.js';

export const outputFormats = ['json', 'yaml', 'wide', 'name'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export function isOutputFormat(s: string): s is OutputFormat {
  return (outputFormats as readonly string[]).includes(s);
}

export interface PrintOptions {
  info: KindInfo;
  output?: OutputFormat;
  /** adds the NAMESPACE column (-A) */
  allNamespaces: boolean;
  ctx: RowContext;
}

/** one object (`get KIND NAME`) or a list, in the requested format */
export function renderObjects(items: KubeObject[], single: boolean, o: PrintOptions): string {
  if (o.output === 'json') return JSON.stringify(single ? items[0] : asList(items), null, 2);
  if (o.output === 'yaml') return stringify(single ? items[0] : asList(items)).trimEnd();
  if (o.output === 'name') return items.map((i) => objectName(o.info, i.metadata.name)).join('\n');
  return new TablePrinter(o).table(items);
}

function asList(items: KubeObject[]): object {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

/** A table whose later lines (`-w`) keep the columns of its first print. */
export class TablePrinter {
  private widths: number[] = [];

  constructor(private readonly o: PrintOptions) {}

  private cells(obj: KubeObject): string[] {
    const row = columnsOf(this.o.info.kind).row(obj, this.o.ctx);
    return this.o.allNamespaces ? [obj.metadata.namespace, ...row] : row;
  }

  private head(): string[] {
    const h = columnsOf(this.o.info.kind).head(this.o.ctx.wide);
    return this.o.allNamespaces ? ['NAMESPACE', ...h] : h;
  }

  private headed = false;

  /** the header and one row per object */
  table(items: KubeObject[]): string {
    const rows = [this.head(), ...items.map((i) => this.cells(i))];
    this.widths = columnWidths(rows);
    this.headed = true;
    return alignRows(rows, this.widths).join('\n');
  }

  /** one more row, aligned with the table printed before (after the header, if none was printed yet) */
  line(obj: KubeObject): string {
    const row = this.cells(obj);
    if (!this.headed) return this.table([obj]);
    this.widths = columnWidths([row], this.widths);
    return alignRows([row], this.widths)[0]!;
  }
}

/** one object per change for `-w` with -o json|yaml|name */
export function renderWatched(obj: KubeObject, o: PrintOptions): string {
  if (o.output === 'json') return JSON.stringify(obj, null, 2);
  if (o.output === 'yaml') return `---\n${stringify(obj).trimEnd()}`;
  if (o.output === 'name') return objectName(o.info, obj.metadata.name);
  return new TablePrinter(o).line(obj);
}
