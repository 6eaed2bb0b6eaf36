import { createRequire } from 'node:module';

/**
 * Validate an object against the Kubernetes OpenAPI schema of its kind, with the validators of the
 * `kubernetes-models` package (generated from Kubernetes' OpenAPI spec; offline). Returns the error text, or
 * undefined when valid.
 */
const require = createRequire(import.meta.url);

export function k8sSchemaError(obj: Record<string, unknown>): string | undefined {
  const apiVersion = String(obj.apiVersion);
  const kind = String(obj.kind);
  const module = `kubernetes-models/${apiVersion}/${kind}`;
  const Model = (require(module) as Record<string, new (o: unknown) => { validate(): void }>)[kind];
  if (!Model) throw new Error(`${module} has no ${kind}`);
  try {
    new Model(obj).validate();
    return undefined;
  } catch (err) {
    return String(err);
  }
}
