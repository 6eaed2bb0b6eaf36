import type { CompiledRule } from '../engine/routing/index.js';
import { MirrorSender } from './mirror.js';
import { MirrorDiffRecorder } from './mirror-diff/recorder.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

export interface RoutePolicyOptions {
  retryBudget?: RetryBudgetOptions;
  /** for mirror sampling and backoff jitter (default Math.random) */
  random?: () => number;
  /** copies in flight to all mirrors before more are dropped (default 256) */
  mirrorMaxInflight?: number;
  /** headers and body timeout of a mirrored copy (default 10 s) */
  mirrorTimeoutMs?: number;
}

/** Per-proxy state of the policy layers: retry budgets per rule, the mirror sender and its diffs. */
export class RoutePolicies {
  readonly mirrors: MirrorSender;
  /** comparisons of mirrored answers with the primary's (mirror-diff/) */
  readonly mirrorDiffs = new MirrorDiffRecorder();
  readonly random: () => number;
  private readonly budgetOptions: RetryBudgetOptions;
  /** budgets by `route#rule`, so that they outlive snapshots */
  private readonly budgets = new Map<string, RetryBudget>();
  private readonly byRule = new WeakMap<CompiledRule, RetryBudget>();

  constructor(o: RoutePolicyOptions = {}) {
    this.mirrors = new MirrorSender(o.mirrorMaxInflight, o.mirrorTimeoutMs);
    this.random = o.random ?? Math.random;
    this.budgetOptions = o.retryBudget ?? {};
  }

  budget(rule: CompiledRule): RetryBudget {
    let b = this.byRule.get(rule);
    if (b === undefined) {
      const key = `${rule.route ?? ''}#${rule.ruleIndex}`;
      b = this.budgets.get(key);
      if (b === undefined) {
        if (this.budgets.size >= 4096) this.budgets.clear();
        b = new RetryBudget(this.budgetOptions);
        this.budgets.set(key, b);
      }
      this.byRule.set(rule, b);
    }
    return b;
  }
}
