import type { Command } from 'commander';

/** The manual actions on a Canary (`weir promote|abort|pause|resume|retry NAME`); registered without loading them. */
export const canaryActions = ['promote', 'abort', 'pause', 'resume', 'retry'] as const;
export type CanaryAction = (typeof canaryActions)[number];

export function isCanaryAction(s: string): s is CanaryAction {
  return (canaryActions as readonly string[]).includes(s);
}

const descriptions: Record<CanaryAction, string> = {
  promote: 'promote the canary now, skipping the remaining analysis steps and gates',
  abort: 'roll the canary back now (Failed); the revision is not retried until its template changes',
  pause: 'pause the canary (spec.suspend: true): weights and phase stay where they are',
  resume: 'resume a paused canary (spec.suspend: false)',
  retry: 'run the analysis of a Failed revision again, without changing its template',
};

/** the five commands, for cli/main.ts; each imports `./control.js` when it runs */
export function addControlCommands(
  program: Command,
  apiOption: readonly [string, string],
  setCode: (code: number) => void,
): void {
  for (const action of canaryActions) {
    program
      .command(action)
      .argument('<name>', 'the Canary')
      .description(descriptions[action])
      .option('-n, --namespace <ns>', 'namespace', 'default')
      .option(...apiOption)
      .action(async (name: string, opts: { namespace?: string; api?: string }) => {
        const { controlCommand } = await import('./control.js');
        setCode(await controlCommand(action, name, opts));
      });
  }
}
