import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('memory store', async () => ({ store: new MemoryStore(), close: async () => {} }));
