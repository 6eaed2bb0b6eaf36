import type { KindInfo } from '../../engine/resources/index.js';
import { kindFromUserName } from '../../controlplane/api/kube-paths.js';
import { labelSelector } from '../../controlplane/api/selectors.js';
import { isOutputFormat, outputFormats, type OutputFormat } from '../output/print.js';

/** kubectl's read flags: `-n NS`, `-A`, `-l SELECTOR`, `-o FORMAT` */
export interface ReadOptions {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  output?: string;
}

export interface CheckedRead {
  info: KindInfo;
  /** undefined: every namespace (-A, or a kind that has none) */
  namespace: string | undefined;
  /** a NAMESPACE column: -A on a namespaced kind */
  allNamespaces: boolean;
  output?: OutputFormat;
}

/** the kind named by the user and the flags, checked; a string is the usage error to print */
export function checkReadOptions(kindName: string, opts: ReadOptions): CheckedRead | string {
  const info = kindFromUserName(kindName);
  if (!info) return `the server doesn't have a resource type "${kindName}"`;
  if (opts.output !== undefined && !isOutputFormat(opts.output))
    return `--output must be one of ${outputFormats.join(', ')} (got "${opts.output}")`;
  if (opts.selector !== undefined) {
    try {
      labelSelector(opts.selector);
    } catch (err) {
      return `-l/--selector: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  const namespace = opts.allNamespaces || !info.namespaced ? undefined : (opts.namespace ?? 'default');
  return {
    info,
    namespace,
    allNamespaces: opts.allNamespaces === true && info.namespaced,
    ...(opts.output !== undefined ? { output: opts.output as OutputFormat } : {}),
  };
}
