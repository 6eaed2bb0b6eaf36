// The long version of manifests.test.ts and manifests-store.test.ts (npm run test:soak).
process.env.WEIR_MANIFEST_RUNS ??= '20000';
process.env.WEIR_MANIFEST_STORE_RUNS ??= '150';
await import('./manifests.test.js');
await import('./manifests-store.test.js');
