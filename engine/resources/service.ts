import { z } from 'zod';
import { fieldIssue } from './httproute.js';
import { dnsLabel, intOrStringPort, objectMeta, stringMap } from './meta.js';

export const servicePort = z.looseObject({
  name: dnsLabel.optional(),
  port: z.number().int().min(1).max(65535),
  targetPort: intOrStringPort.optional(),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
  appProtocol: z.string().optional(),
  nodePort: z.number().int().min(1).max(65535).optional(),
});
export type ServicePort = z.infer<typeof servicePort>;

export const serviceSchema = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: objectMeta,
  spec: z.looseObject({
    selector: stringMap.optional(),
    ports: z
      .array(servicePort)
      .min(1)
      .superRefine((ports, ctx) => {
        // Kubernetes: with more than one port every port is named; names and port/protocol pairs are unique.
        const names = new Set<string>();
        const numbers = new Set<string>();
        ports.forEach((p, i) => {
          if (ports.length > 1 && p.name === undefined)
            fieldIssue(ctx, [i, 'name'], 'required when a Service has more than one port');
          if (p.name !== undefined) {
            if (names.has(p.name)) fieldIssue(ctx, [i, 'name'], `duplicate port name ${JSON.stringify(p.name)}`);
            names.add(p.name);
          }
          const key = `${p.port}/${p.protocol}`;
          if (numbers.has(key)) fieldIssue(ctx, [i, 'port'], `duplicate port ${key}`);
          numbers.add(key);
        });
      }),
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']).optional(),
    clusterIP: z.string().optional(),
    clusterIPs: z.array(z.string()).optional(),
    externalName: z.string().optional(),
    sessionAffinity: z.enum(['None', 'ClientIP']).optional(),
    publishNotReadyAddresses: z.boolean().optional(),
    trafficDistribution: z.string().optional(),
  }),
  status: z.looseObject({}).optional(),
});
export type Service = z.infer<typeof serviceSchema>;
