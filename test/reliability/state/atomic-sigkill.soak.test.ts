// The long version of atomic-sigkill.test.ts (npm run test:soak): 40 kills instead of 6.
process.env.WEIR_STATE_KILLS ??= '40';
await import('./atomic-sigkill.test.js');
