import { describe, expect, it } from 'vitest';
import type { AlertProvider, MetricTemplate } from '../../../engine/resources/index.js';
import { decode, withField, yamlDoc } from './helpers.js';

/** docs/gitbook/usage/metrics.md: every provider field. */
const metricTemplate = yamlDoc(`
apiVersion: flagger.app/v1beta1
kind: MetricTemplate
metadata:
  name: not-found-percentage
  namespace: istio-system
spec:
  provider:
    type: prometheus
    address: http://prometheus.istio-system:9090
    headers:
      X-Scope-OrgID: [tenant-a]
    secretRef:
      name: prom-basic-auth
    region: eu-west-1
    insecureSkipVerify: true
  query: |
    100 - sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}", response_code!="404"}[{{ interval }}]))
    / sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload="{{ target }}"}[{{ interval }}])) * 100
`);

/** docs/gitbook/usage/alerting.md */
const alertProvider = yamlDoc(`
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata:
  name: on-call
  namespace: flagger
spec:
  type: slack
  channel: on-call-alerts
  username: flagger
  # webhook address (ignored if secretRef is specified)
  address: https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK
  proxy: http://my-http-proxy.com
`);

describe('MetricTemplate', () => {
  it('a template with every field is accepted', () => {
    const r = decode(metricTemplate, 'templates.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect((r.object as MetricTemplate).spec.provider.headers).toEqual({ 'X-Scope-OrgID': ['tenant-a'] });
  });

  it.each([
    'influxdb',
    'datadog',
    'externalmetrics',
    'stackdriver',
    'cloudwatch',
    'newrelic',
    'graphite',
    'dynatrace',
    'keptn',
    'splunk',
  ])('provider %s is accepted (each type has a provider)', (type) => {
    const r = decode(withField(metricTemplate, 'spec.provider.type', type), 'templates.yaml');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('warns about what a provider cannot run without: address, credentials, region', () => {
    const bare = (type: string) =>
      withField(
        withField(withField(metricTemplate, 'spec.provider.type', type), 'spec.provider.address', undefined),
        'spec.provider.secretRef',
        undefined,
      );
    expect(decode(bare('dynatrace'), 't.yaml').warnings).toEqual([
      't.yaml[1] spec.provider.address: the dynatrace provider needs the API address',
      't.yaml[1] spec.provider.secretRef: the dynatrace provider needs a Secret with its credentials',
    ]);
    expect(decode(bare('datadog'), 't.yaml').warnings).toEqual([
      't.yaml[1] spec.provider.secretRef: the datadog provider needs a Secret with its credentials',
    ]);
    expect(
      decode(
        withField(withField(metricTemplate, 'spec.provider.type', 'cloudwatch'), 'spec.provider.region', undefined),
        't.yaml',
      ).warnings,
    ).toEqual(['t.yaml[1] spec.provider.region: the cloudwatch provider needs the AWS region']);
    expect(decode(bare('prometheus'), 't.yaml').warnings).toEqual([]);
  });

  it.each([
    ['spec.provider', undefined, 'spec.provider: required: expected an object'],
    [
      'spec.provider.type',
      undefined,
      'spec.provider.type: required: expected one of "prometheus", "influxdb", "datadog", "externalmetrics", "stackdriver", "cloudwatch", "newrelic", "graphite", "dynatrace", "keptn", "splunk"',
    ],
    [
      'spec.provider.type',
      'victoriametrics',
      'spec.provider.type: expected one of "prometheus", "influxdb", "datadog", "externalmetrics", "stackdriver", "cloudwatch", "newrelic", "graphite", "dynatrace", "keptn", "splunk", got "victoriametrics"',
    ],
    [
      'spec.provider.headers.X-Scope-OrgID',
      'tenant-a',
      'spec.provider.headers.X-Scope-OrgID: expected a list, got "tenant-a"',
    ],
    ['spec.provider.secretRef.name', undefined, 'spec.provider.secretRef.name: required: expected a string'],
    [
      'spec.provider.insecureSkipVerify',
      'true',
      'spec.provider.insecureSkipVerify: expected true or false, got "true"',
    ],
    ['spec.query', undefined, 'spec.query: required: expected a string'],
    ['spec.query', '', 'spec.query: must not be empty'],
  ])('%s = %j is rejected', (path, value, message) => {
    expect(decode(withField(metricTemplate, path, value), 'templates.yaml').errors).toEqual([
      `templates.yaml[1] ${message}`,
    ]);
  });
});

describe('AlertProvider', () => {
  it('with an address, defaults applied', () => {
    const a = decode(withField(withField(alertProvider, 'spec.channel', undefined), 'spec.username', undefined))
      .object as AlertProvider;
    expect(a.spec).toMatchObject({ type: 'slack', channel: 'general', username: 'flagger' });
  });

  it.each(['slack', 'msteams', 'discord', 'rocket', 'gchat'])('type %s with a secretRef', (type) => {
    const doc = withField(
      withField(withField(alertProvider, 'spec.type', type), 'spec.address', undefined),
      'spec.secretRef',
      { name: 'on-call-url' },
    );
    expect(decode(doc).errors).toEqual([]);
  });

  it.each([
    [
      'spec.type',
      'pagerduty',
      'spec.type: expected one of "slack", "msteams", "discord", "rocket", "gchat", got "pagerduty"',
    ],
    ['spec.type', undefined, 'spec.type: required: expected one of "slack", "msteams", "discord", "rocket", "gchat"'],
    ['spec.address', undefined, 'spec: expected exactly one of address, secretRef, got none'],
    ['spec.secretRef', { name: 'url' }, 'spec: expected exactly one of address, secretRef, got address and secretRef'],
    ['spec.channel', 5, 'spec.channel: expected a string, got 5'],
  ])('%s = %j is rejected', (path, value, message) => {
    expect(decode(withField(alertProvider, path, value), 'alerts.yaml').errors).toEqual([`alerts.yaml[1] ${message}`]);
  });
});
