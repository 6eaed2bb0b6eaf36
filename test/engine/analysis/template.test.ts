import { describe, expect, it } from 'vitest';
import {
  metricTemplateModel,
  renderMetricTemplate,
  TemplateError,
  type MetricTemplateModel,
} from '../../../engine/analysis/template.js';
import { canarySchema, type CanaryMetric } from '../../../engine/resources/index.js';

const model: MetricTemplateModel = {
  name: 'podinfo',
  namespace: 'test',
  target: 'podinfo',
  service: 'frontend',
  ingress: 'podinfo-ingress',
  route: 'podinfo-route',
  interval: '2m',
  variables: { direction: 'inbound', codes: '5..' },
};

describe("MetricTemplate queries rendered with Flagger's template variables", () => {
  it.each([
    ['{{ name }}', 'podinfo'],
    ['{{ namespace }}', 'test'],
    ['{{ target }}', 'podinfo'],
    ['{{ service }}', 'frontend'],
    ['{{ ingress }}', 'podinfo-ingress'],
    ['{{ route }}', 'podinfo-route'],
    ['{{ interval }}', '2m'],
    ['{{ variables.direction }}', 'inbound'],
    ['{{name}}/{{   namespace   }}', 'podinfo/test'],
    ['x{{\n  interval\n}}y', 'x2my'],
    ['a  {{- name -}}  b', 'apodinfob'],
    ['a\n  {{- name }}\n', 'apodinfo\n'],
    ['a{{/* a comment */}}b', 'ab'],
    ['a {{- /* trimmed */ -}} b', 'ab'],
    ['{{ "literal}}" }}', 'literal}}'],
    ['no actions at all { } }}', 'no actions at all { } }}'],
    [
      'sum(rate(response_total{namespace="{{ namespace }}",deployment=~"{{ target }}",direction="{{ variables.direction }}",status_code=~"{{ variables.codes }}"}[{{ interval }}]))',
      'sum(rate(response_total{namespace="test",deployment=~"podinfo",direction="inbound",status_code=~"5.."}[2m]))',
    ],
  ])('%j renders %j', (template, want) => {
    expect(renderMetricTemplate(template, model)).toBe(want);
  });

  it.each([
    ['{{ variables.region }}', /template:1:1: map has no entry for key "region".*templateVariables\.region is not set/],
    ['rate(x[1m])\n  {{ nme }}', /template:2:3: function "nme" not defined/],
    ['{{ name | printf "%s" }}', /unsupported template action \{\{ name \| printf "%s" \}\}/],
    ['{{ if name }}x{{ end }}', /unsupported template action/],
    ['{{ .Name }}', /unsupported template action/],
    ['{{ variables }}', /needs a key/],
    ['{{ name ', /unclosed action/],
    ['{{}}', /missing value for command/],
    ['{{/* open', /unclosed comment/],
  ])('%j is an error: %s', (template, message) => {
    expect(() => renderMetricTemplate(template, model)).toThrow(TemplateError);
    expect(() => renderMetricTemplate(template, model)).toThrow(message);
  });

  it('names the missing key and says when the metric has no templateVariables at all', () => {
    expect(() => renderMetricTemplate('{{ variables.direction }}', { ...model, variables: {} })).toThrow(
      'template:1:1: map has no entry for key "direction": templateVariables.direction is not set on the metric (it has no templateVariables)',
    );
  });

  it("builds Flagger's model from a Canary and one of its metrics", () => {
    const canary = canarySchema.parse({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web-app' },
        service: { port: 80 },
        analysis: {
          interval: '1m',
          threshold: 5,
          stepWeight: 10,
          metrics: [
            { name: 'errors', templateRef: { name: 't' }, templateVariables: { a: 'b' } },
            { name: 'latency', templateRef: { name: 't' }, interval: '30s' },
          ],
        },
      },
    });
    const [errors, latency] = canary.spec.analysis!.metrics! as [CanaryMetric, CanaryMetric];
    expect(metricTemplateModel(canary, errors)).toEqual({
      name: 'web',
      namespace: 'shop',
      target: 'web-app',
      // service, ingress and route default to the target
      service: 'web-app',
      ingress: 'web-app',
      route: 'web-app',
      // Flagger's default metric interval
      interval: '1m',
      variables: { a: 'b' },
    });
    expect(metricTemplateModel(canary, latency)).toMatchObject({ interval: '30s', variables: {} });
    const named = canarySchema.parse({ ...canary, spec: { ...canary.spec, service: { name: 'web-svc', port: 80 } } });
    expect(metricTemplateModel(named, errors).service).toBe('web-svc');
  });
});
