import type { Canary } from '../engine/resources/index.js';

/** Flagger's finalizer on a Canary with `revertOnDeletion` (`pkg/controller/finalizer.go`). */
export const FINALIZER = 'finalizer.flagger.app';

export function hasFinalizer(canary: Canary): boolean {
  return (canary.metadata.finalizers ?? []).includes(FINALIZER);
}

/**
 * What the controller does about the finalizer before a tick, as Flagger's `syncHandler`:
 * - `add`: `revertOnDeletion` is set and the finalizer is not there yet;
 * - `remove`: the Canary no longer asks to be reverted (or is deleted without asking), so it must not be held;
 * - `finalize`: deleted with `revertOnDeletion`: revert the target and the apex Service, then remove it;
 * - `none`: nothing to do (a deleted Canary without the finalizer just goes).
 */
export type FinalizerStep = 'add' | 'remove' | 'finalize' | 'none';

export function finalizerStep(canary: Canary): FinalizerStep {
  const has = hasFinalizer(canary);
  const revert = canary.spec.revertOnDeletion === true;
  if (canary.metadata.deletionTimestamp !== undefined) return has ? (revert ? 'finalize' : 'remove') : 'none';
  if (revert && !has) return 'add';
  if (!revert && has) return 'remove';
  return 'none';
}

/** the Canary's metadata with the finalizer added or removed (other finalizers kept) */
export function withFinalizer(canary: Canary, present: boolean): Canary['metadata'] {
  const others = (canary.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  return { ...canary.metadata, finalizers: present ? [...others, FINALIZER] : others };
}
