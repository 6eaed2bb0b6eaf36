import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  ApisApi,
  AppsV1Api,
  AuthorizationV1Api,
  DiscoveryV1Api,
  VersionApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import { crdKinds } from '../install/crds.js';
import { names } from '../install/options.js';

/**
 * `weir check`: what is and is not in order on a cluster (or the embedded API), one result per line.
 * `ok` false with `warning` true is printed with `‼` and does not fail the check.
 */
export interface CheckResult {
  ok: boolean;
  warning?: boolean;
  message: string;
}

function errorText(err: unknown): string {
  const e = err as { code?: number; message?: string; body?: unknown };
  if (typeof e.code === 'number') {
    const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '');
    const reason = /"message":"([^"]*)"/.exec(body)?.[1];
    return `HTTP ${e.code}${reason ? `: ${reason}` : ''}`;
  }
  return e.message ?? String(err);
}

const notFound = (err: unknown) => (err as { code?: number }).code === 404;

async function canI(kc: KubeConfig, verb: string, group: string, resource: string): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, group, resource } },
    },
  });
  return review.status?.allowed === true;
}

/** `--pre`: can Weir be installed here? */
export async function preInstallChecks(kc: KubeConfig): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const server = kc.getCurrentCluster()?.server ?? '(no server in the kubeconfig)';
  try {
    const v = await kc.makeApiClient(VersionApi).getCode();
    out.push({ ok: true, message: `can reach the Kubernetes API at ${server}` });
    out.push({ ok: true, message: `Kubernetes version is ${v.gitVersion}` });
  } catch (err) {
    out.push({ ok: false, message: `cannot reach the Kubernetes API at ${server}: ${errorText(err)}` });
    return out;
  }
  const wanted: [string, string, string][] = [
    ['CustomResourceDefinitions', 'apiextensions.k8s.io', 'customresourcedefinitions'],
    ['Namespaces', '', 'namespaces'],
    ['ClusterRoles', 'rbac.authorization.k8s.io', 'clusterroles'],
    ['ClusterRoleBindings', 'rbac.authorization.k8s.io', 'clusterrolebindings'],
    ['MutatingWebhookConfigurations', 'admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
  ];
  for (const [label, group, resource] of wanted) {
    try {
      const allowed = await canI(kc, 'create', group, resource);
      out.push({ ok: allowed, message: `${allowed ? 'can' : 'cannot'} create ${label}` });
    } catch (err) {
      out.push({
        ok: false,
        warning: true,
        message: notFound(err)
          ? `cannot check whether you can create ${label}: the API has no SelfSubjectAccessReview (authorization.k8s.io/v1)`
          : `cannot check whether you can create ${label}: ${errorText(err)}`,
      });
    }
  }
  try {
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    const gateway = groups.groups.some((g) => g.name === 'gateway.networking.k8s.io');
    out.push(
      gateway
        ? { ok: true, message: 'Gateway API CRDs are installed (gateway.networking.k8s.io)' }
        : {
            ok: false,
            warning: true,
            message:
              'Gateway API CRDs are not installed (gateway.networking.k8s.io): Canaries route through HTTPRoutes; install them first',
          },
    );
  } catch (err) {
    out.push({ ok: false, message: `cannot list the API groups: ${errorText(err)}` });
  }
  return out;
}

/** After `weir install`: CRDs, Deployments, webhook, control plane. */
export async function installChecks(kc: KubeConfig, namespace: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  for (const k of crdKinds()) {
    const name = `${k.plural}.${k.group}`;
    try {
      await crds.readCustomResourceDefinition({ name });
      out.push({ ok: true, message: `CustomResourceDefinition ${name} is installed` });
    } catch (err) {
      out.push({
        ok: false,
        message: `CustomResourceDefinition ${name} is not installed: ${notFound(err) ? 'not found (run weir install --crds-only | kubectl apply -f -)' : errorText(err)}`,
      });
    }
  }
  const apps = kc.makeApiClient(AppsV1Api);
  for (const name of [names.controller, names.controlPlane, names.injector]) {
    try {
      const d = await apps.readNamespacedDeployment({ name, namespace });
      const available = d.status?.conditions?.find((c) => c.type === 'Available');
      const ready = d.status?.availableReplicas ?? 0;
      if (available?.status === 'True' || ready > 0)
        out.push({ ok: true, message: `${name} Deployment is available (${ready}/${d.spec?.replicas ?? 1})` });
      else
        out.push({
          ok: false,
          message: `${name} Deployment is not available: ${available?.message ?? `${ready} of ${d.spec?.replicas ?? 1} replicas available`}`,
        });
    } catch (err) {
      out.push({
        ok: false,
        message: `${name} Deployment is not available: ${notFound(err) ? `not found in namespace ${namespace}` : errorText(err)}`,
      });
    }
  }
  try {
    const w = await kc
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: names.webhook });
    const withCa = (w.webhooks ?? []).every((h) => (h.clientConfig.caBundle ?? '').length > 0);
    out.push(
      withCa && (w.webhooks ?? []).length > 0
        ? { ok: true, message: `MutatingWebhookConfiguration ${names.webhook} is present with a caBundle` }
        : { ok: false, message: `MutatingWebhookConfiguration ${names.webhook} has a webhook without a caBundle` },
    );
  } catch (err) {
    out.push({
      ok: false,
      message: `MutatingWebhookConfiguration ${names.webhook} is not present: ${notFound(err) ? 'not found' : errorText(err)}`,
    });
  }
  try {
    const slices = await kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
      namespace,
      labelSelector: `kubernetes.io/service-name=${names.controlPlane}`,
    });
    const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
    out.push(
      ready.length > 0
        ? {
            ok: true,
            message: `the control plane is answering (${ready.length} ready endpoint(s) of ${names.controlPlane})`,
          }
        : {
            ok: false,
            message: `the control plane is not answering: the ${names.controlPlane} Service has no ready endpoint (its readiness probe connects to the gRPC port)`,
          },
    );
  } catch (err) {
    out.push({ ok: false, message: `the control plane is not answering: ${errorText(err)}` });
  }
  return out;
}

export function formatCheck(r: CheckResult): string {
  return `${r.ok ? '√' : r.warning ? '‼' : '×'} ${r.message}`;
}
