// The long version of http1-fuzz.test.ts (npm run test:soak): 5,000 generated requests per proxy.
process.env.WEIR_FUZZ_RUNS ??= '5000';
await import('./http1-fuzz.test.js');
