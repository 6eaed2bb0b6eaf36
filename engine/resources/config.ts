import { z } from 'zod';
import { objectMeta } from './meta.js';

/**
 * Core v1 ConfigMap and Secret: what a Deployment mounts or maps to env. Flagger tracks them
 * (`status.trackedConfigs`) so that a change of their data starts a rollout; Weir hashes the same data.
 */

const configKey = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, 'a key of letters, digits, "-", "_" or "."');

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const base64 = z.string().regex(BASE64, 'base64-encoded data');

export const configMapSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: objectMeta,
  data: z.record(configKey, z.string()).optional(),
  binaryData: z.record(configKey, base64).optional(),
  immutable: z.boolean().optional(),
});
export type ConfigMap = z.infer<typeof configMapSchema>;

export const secretSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMeta,
  type: z.string().min(1).default('Opaque'),
  /** values base64-encoded, as on the Kubernetes API */
  data: z.record(configKey, base64).optional(),
  /** write-only convenience on the API: plain values, merged over `data` by the API server */
  stringData: z.record(configKey, z.string()).optional(),
  immutable: z.boolean().optional(),
});
export type Secret = z.infer<typeof secretSchema>;
