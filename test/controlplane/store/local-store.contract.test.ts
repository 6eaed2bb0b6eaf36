import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '../../../controlplane/store/local-store.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('local folder store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'weir-local-contract-'));
  const store = await LocalStore.open({ dir, watch: false });
  return {
    store,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
