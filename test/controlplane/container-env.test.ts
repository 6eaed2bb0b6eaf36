import { describe, expect, it } from 'vitest';
import { container as containerSchema, type Container } from '../../engine/resources/index.js';
import { containerEnv, processSpec, secretValues, type EnvSources } from '../../controlplane/runtime/template.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

const sources: EnvSources = {
  configMap: (name) =>
    name === 'app-config' ? { LOG_LEVEL: 'debug', 'not a name': 'x', 'feature.flag': 'on' } : undefined,
  secret: (name) =>
    name === 'db' ? secretValues({ data: { password: b64('s3cret'), user: b64('weir') } }) : undefined,
};
const pod = { name: 'web-abc-12345', namespace: 'test', podIP: '127.0.0.1', labels: { app: 'web' } };
const runtime = { PORT: '41000', POD_NAME: pod.name };

function container(c: Partial<Container>): Container {
  return containerSchema.parse({ name: 'app', command: ['node', 'app.js'], ...c });
}

/** The container environment as the kubelet builds it (controlplane/runtime/template.ts). */
describe('container env: env, envFrom and valueFrom', () => {
  it('envFrom first (with prefix, invalid names skipped), then env in order, which wins', () => {
    const env = containerEnv(
      container({
        envFrom: [{ configMapRef: { name: 'app-config' } }, { prefix: 'DB_', secretRef: { name: 'db' } }],
        env: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'DSN', value: '$(DB_user):$(DB_password)@db:$(PORT)' },
        ],
      }),
      runtime,
      sources,
      pod,
    );
    expect(env).toEqual({
      LOG_LEVEL: 'info',
      'feature.flag': 'on',
      DB_password: 's3cret',
      DB_user: 'weir',
      DSN: 'weir:s3cret@db:41000',
    });
  });

  it('valueFrom: ConfigMap and Secret keys (decoded), pod fields; optional refs may be missing', () => {
    const env = containerEnv(
      container({
        env: [
          { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'LOG_LEVEL' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'MAYBE', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k', optional: true } } },
          { name: 'MAYBE_KEY', valueFrom: { secretKeyRef: { name: 'db', key: 'absent', optional: true } } },
        ],
      }),
      runtime,
      sources,
      pod,
    );
    expect(env).toEqual({
      LEVEL: 'debug',
      PASSWORD: 's3cret',
      ME: 'web-abc-12345',
      NS: 'test',
      IP: '127.0.0.1',
      APP: 'web',
    });
  });

  it('a missing ConfigMap, Secret or key is an error naming it', () => {
    const run = (c: Partial<Container>) => () => containerEnv(container(c), runtime, sources, pod);
    expect(run({ envFrom: [{ configMapRef: { name: 'absent' } }] })).toThrow('configmap "absent" not found');
    expect(run({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'absent', key: 'k' } } }] })).toThrow(
      'secret "absent" not found (env X)',
    );
    expect(run({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'nope' } } }] })).toThrow(
      "couldn't find key nope in ConfigMap app-config (env X)",
    );
  });

  it("the runtime's PORT wins in the process env and in $(PORT), even over an env PORT", () => {
    const spec = processSpec(
      container({
        args: ['--port=$(PORT)', '--level=$(LEVEL)'],
        env: [
          { name: 'PORT', value: '8080' },
          { name: 'LEVEL', value: 'warn' },
        ],
      }),
      '/srv',
      { HOME: '/home/weir' },
      runtime,
      sources,
      pod,
    );
    expect(spec.args).toEqual(['app.js', '--port=41000', '--level=warn']);
    expect(spec.env).toMatchObject({ HOME: '/home/weir', PORT: '41000', LEVEL: 'warn', POD_NAME: pod.name });
  });

  it('secretValues decodes data and lays stringData over it', () => {
    expect(secretValues({ data: { a: b64('one'), b: b64('two') }, stringData: { b: 'plain' } })).toEqual({
      a: 'one',
      b: 'plain',
    });
  });
});
