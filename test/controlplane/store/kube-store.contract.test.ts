import { KubeConfig } from '@kubernetes/client-node';
import { startHttpApi } from '../../../controlplane/api/http-api.js';
import { kubeconfigFor } from '../../../controlplane/api/kubeconfig.js';
import { KubeStore } from '../../../controlplane/store/kube-store.js';
import { MemoryStore } from '../../../controlplane/store/memory-store.js';
import { describeStoreContract } from './contract.js';

/** the Kubernetes store through @kubernetes/client-node, against Weir's embedded API over a memory store */
describeStoreContract('Kubernetes store over the embedded API', async () => {
  const api = await startHttpApi({ store: new MemoryStore() });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigFor(api.url));
  const store = await KubeStore.open({ kubeConfig, kinds: ['Canary', 'ConfigMap', 'Deployment', 'HTTPRoute'] });
  return {
    store,
    close: async () => {
      await store.close();
      await api.close();
    },
  };
});
