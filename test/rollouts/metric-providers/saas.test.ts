import { createVerify, generateKeyPairSync } from 'node:crypto';
import aws4 from 'aws4';
import { afterEach, describe, expect, it } from 'vitest';
import { providerFactories } from '../../../rollouts/metrics/providers/index.js';
import { queryTemplate, Replay, type Exchange } from './replay.js';

// Each provider is asked through a MetricTemplate of its type, against a local server replaying answers
// shaped as in the provider's public API documentation; the test checks the request Flagger's provider
// sends (method, path, query, authentication) and the value read from the answer.

const now = new Date('2026-03-01T12:00:00Z');
const nowS = now.getTime() / 1000;
let replay: Replay | undefined;

async function serve(exchanges: Exchange[]): Promise<Replay> {
  replay = new Replay(exchanges);
  await replay.listen();
  return replay;
}

afterEach(async () => {
  await replay?.close();
  replay = undefined;
});

describe('the provider factory', () => {
  it('has one provider per MetricTemplate type', () => {
    expect(Object.keys(providerFactories).sort()).toEqual(
      [
        'cloudwatch',
        'datadog',
        'dynatrace',
        'externalmetrics',
        'graphite',
        'influxdb',
        'keptn',
        'newrelic',
        'prometheus',
        'splunk',
        'stackdriver',
      ].sort(),
    );
  });
});

describe('datadog (GET /api/v1/query, DD-API-KEY and DD-APPLICATION-KEY)', () => {
  // docs.datadoghq.com/api/latest/metrics/#query-timeseries-points (v1), response example
  const answer = JSON.stringify({
    status: 'ok',
    res_type: 'time_series',
    series: [
      {
        metric: 'system.cpu.idle',
        display_name: 'system.cpu.idle',
        pointlist: [
          [1575317847000, 99.33871555328369],
          [1575317862000, 98.1],
        ],
        scope: 'host:bar',
        expression: 'system.cpu.idle{host:bar}',
        length: 2,
        interval: 15,
      },
    ],
    from_date: 1575317847000,
    to_date: 1575317862000,
    query: 'system.cpu.idle{*}by{host}',
    message: '',
    group_by: ['host'],
  });

  it('sends the rendered query over the last 10 intervals and reads the first point', async () => {
    const r = await serve([{ method: 'GET', path: '/api/v1/query', body: answer }]);
    const v = await queryTemplate({
      provider: { type: 'datadog', address: r.url },
      query: 'sum:requests.error.rate{service:{{ target }}}',
      secret: { datadog_api_key: 'api-key', datadog_application_key: 'app-key' },
      interval: '30s',
      now,
    });
    expect(v).toBe(99.33871555328369);
    const [req] = r.seen;
    expect(req?.headers['dd-api-key']).toBe('api-key');
    expect(req?.headers['dd-application-key']).toBe('app-key');
    expect(Object.fromEntries(req!.query)).toEqual({
      query: 'sum:requests.error.rate{service:podinfo}',
      from: String(nowS - 300),
      to: String(nowS),
    });
  });

  it('no series is no data; a missing key is an error naming it', async () => {
    const r = await serve([{ method: 'GET', path: '/api/v1/query', body: '{"status":"ok","series":[]}' }]);
    const secret = { datadog_api_key: 'a', datadog_application_key: 'b' };
    expect(await queryTemplate({ provider: { type: 'datadog', address: r.url }, query: 'q', secret, now })).toBe(
      undefined,
    );
    await expect(
      queryTemplate({
        provider: { type: 'datadog', address: r.url },
        query: 'q',
        secret: { datadog_api_key: 'a' },
        now,
      }),
    ).rejects.toThrow('MetricTemplate test/t: datadog credentials does not contain datadog_application_key');
  });

  it('a 403 is an error quoting the answer', async () => {
    const r = await serve([{ method: 'GET', path: '/api/v1/query', status: 403, body: '{"errors":["Forbidden"]}' }]);
    await expect(
      queryTemplate({
        provider: { type: 'datadog', address: r.url },
        query: 'q',
        secret: { datadog_api_key: 'a', datadog_application_key: 'b' },
        now,
      }),
    ).rejects.toThrow('datadog: error response: HTTP 403: {"errors":["Forbidden"]}');
  });
});

describe('newrelic (Insights: GET /v1/accounts/{id}/query, X-Query-Key)', () => {
  it('appends SINCE <interval> seconds ago and reads results[0].result', async () => {
    const r = await serve([
      {
        method: 'GET',
        path: '/v1/accounts/1234567/query',
        body: JSON.stringify({
          results: [{ result: 1.5 }],
          metadata: { eventTypes: ['Transaction'], messages: [], beginTimeMillis: 0, endTimeMillis: 0 },
        }),
      },
    ]);
    const v = await queryTemplate({
      provider: { type: 'newrelic', address: r.url },
      query:
        "SELECT percentage(count(*), WHERE error is true) AS result FROM Transaction WHERE appName = '{{ target }}'",
      secret: { newrelic_account_id: '1234567', newrelic_query_key: 'NRIQ-key' },
      interval: '2m',
      now,
    });
    expect(v).toBe(1.5);
    expect(r.seen[0]?.headers['x-query-key']).toBe('NRIQ-key');
    expect(r.seen[0]?.query.get('nrql')).toBe(
      "SELECT percentage(count(*), WHERE error is true) AS result FROM Transaction WHERE appName = 'podinfo' SINCE 120 seconds ago",
    );
  });

  it('a null result is no data', async () => {
    const r = await serve([{ method: 'GET', path: '/v1/accounts/1/query', body: '{"results":[{"result":null}]}' }]);
    const v = await queryTemplate({
      provider: { type: 'newrelic', address: r.url },
      query: 'SELECT 1',
      secret: { newrelic_account_id: '1', newrelic_query_key: 'k' },
      now,
    });
    expect(v).toBeUndefined();
  });
});

describe('dynatrace (GET /api/v2/metrics/query, Authorization: Api-Token)', () => {
  it('asks resolution Inf over the last 10 intervals in ms and reads the last series first value', async () => {
    // docs.dynatrace.com Metrics API v2 GET metrics/query, response example
    const body = JSON.stringify({
      totalCount: 1,
      nextPageKey: null,
      resolution: 'Inf',
      result: [
        {
          metricId: 'builtin:service.response.time:avg',
          data: [
            { dimensions: ['SERVICE-1'], timestamps: [1589456100000], values: [80.5] },
            { dimensions: ['SERVICE-2'], timestamps: [1589456100000], values: [120.25] },
          ],
        },
      ],
    });
    const r = await serve([{ method: 'GET', path: '/e/abc/api/v2/metrics/query', body }]);
    const v = await queryTemplate({
      provider: { type: 'dynatrace', address: `${r.url}/e/abc` },
      query: 'builtin:service.response.time:avg:filter(eq("dt.entity.service.name","{{ target }}"))',
      secret: { dynatrace_token: 'dt0c01.TOKEN' },
      interval: '1m',
      now,
    });
    expect(v).toBe(120.25);
    expect(r.seen[0]?.headers.authorization).toBe('Api-Token dt0c01.TOKEN');
    expect(Object.fromEntries(r.seen[0]!.query)).toEqual({
      metricSelector: 'builtin:service.response.time:avg:filter(eq("dt.entity.service.name","podinfo"))',
      resolution: 'Inf',
      from: String(now.getTime() - 600_000),
      to: String(now.getTime()),
    });
  });

  it('needs an address', async () => {
    await expect(
      queryTemplate({ provider: { type: 'dynatrace' }, query: 'q', secret: { dynatrace_token: 't' }, now }),
    ).rejects.toThrow('dynatrace endpoint is not set: spec.provider.address is required');
  });
});

describe('cloudwatch (GetMetricData, AWS Query protocol, Signature V4)', () => {
  // docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html, XML response
  const answer = `<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <GetMetricDataResult>
    <MetricDataResults>
      <member>
        <Timestamps>
          <member>2026-03-01T11:59:00Z</member>
          <member>2026-03-01T11:58:00Z</member>
        </Timestamps>
        <StatusCode>Complete</StatusCode>
        <Values>
          <member>0.25</member>
          <member>0.5</member>
        </Values>
        <Id>e1</Id>
        <Label>ErrorRate</Label>
      </member>
    </MetricDataResults>
    <Messages/>
  </GetMetricDataResult>
  <ResponseMetadata><RequestId>b2b1a1e1-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</GetMetricDataResponse>`;
  const query = JSON.stringify([
    { Id: 'e1', Expression: 'm1 / m2', Label: 'ErrorRate' },
    {
      Id: 'm1',
      MetricStat: {
        Metric: {
          Namespace: 'MyKubernetesCluster',
          MetricName: 'ErrorCount',
          Dimensions: [{ Name: 'appName', Value: '{{ target }}.{{ namespace }}' }],
        },
        Period: 60,
        Stat: 'Sum',
        Unit: 'Count',
      },
      ReturnData: false,
    },
  ]);
  const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

  it('posts the queries form-encoded, signed for the region, and reads the first value', async () => {
    const r = await serve([{ method: 'POST', path: '/', contentType: 'text/xml', body: answer }]);
    const v = await queryTemplate({
      provider: { type: 'cloudwatch', region: 'us-east-1', address: `${r.url}/` },
      query,
      interval: '1m',
      now,
      env,
    });
    expect(v).toBe(0.25);
    const req = r.seen[0]!;
    const form = Object.fromEntries(new URLSearchParams(req.body));
    expect(form).toEqual({
      Action: 'GetMetricData',
      Version: '2010-08-01',
      StartTime: '2026-03-01T11:50:00Z',
      EndTime: '2026-03-01T12:00:00Z',
      MaxDatapoints: '20',
      'MetricDataQueries.member.1.Id': 'e1',
      'MetricDataQueries.member.1.Expression': 'm1 / m2',
      'MetricDataQueries.member.1.Label': 'ErrorRate',
      'MetricDataQueries.member.2.Id': 'm1',
      'MetricDataQueries.member.2.MetricStat.Metric.Namespace': 'MyKubernetesCluster',
      'MetricDataQueries.member.2.MetricStat.Metric.MetricName': 'ErrorCount',
      'MetricDataQueries.member.2.MetricStat.Metric.Dimensions.member.1.Name': 'appName',
      'MetricDataQueries.member.2.MetricStat.Metric.Dimensions.member.1.Value': 'podinfo.test',
      'MetricDataQueries.member.2.MetricStat.Period': '60',
      'MetricDataQueries.member.2.MetricStat.Stat': 'Sum',
      'MetricDataQueries.member.2.MetricStat.Unit': 'Count',
      'MetricDataQueries.member.2.ReturnData': 'false',
    });
    // Signature V4 for service monitoring in us-east-1, and it verifies: signing the same request again
    // with the same date gives the same Authorization
    const auth = String(req.headers.authorization);
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/monitoring\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/,
    );
    const again = aws4.sign(
      {
        host: String(req.headers.host),
        path: '/',
        method: 'POST',
        service: 'monitoring',
        region: 'us-east-1',
        body: req.body,
        headers: {
          'content-type': String(req.headers['content-type']),
          'x-amz-date': String(req.headers['x-amz-date']),
        },
      },
      { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    );
    expect(again.headers?.Authorization).toBe(auth);
  });

  it('an AWS error is an error with its code; no region or no credentials is a clear error', async () => {
    const r = await serve([
      {
        method: 'POST',
        path: '/',
        status: 400,
        contentType: 'text/xml',
        body: '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>The value m3 for parameter MetricDataQueries.member.1.Expression is invalid.</Message></Error><RequestId>x</RequestId></ErrorResponse>',
      },
    ]);
    await expect(
      queryTemplate({ provider: { type: 'cloudwatch', region: 'eu-west-1', address: `${r.url}/` }, query, now, env }),
    ).rejects.toThrow('HTTP 400: InvalidParameterValue: The value m3 for parameter');
    await expect(queryTemplate({ provider: { type: 'cloudwatch' }, query, now, env })).rejects.toThrow(
      'cloudwatch region not specified: spec.provider.region is required',
    );
    await expect(
      queryTemplate({ provider: { type: 'cloudwatch', region: 'eu-west-1' }, query, now, env: {} }),
    ).rejects.toThrow('cloudwatch: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  });
});

describe('stackdriver (Cloud Monitoring timeSeries:query, service account OAuth 2.0)', () => {
  it('exchanges a signed JWT for a token, then posts the MQL query and reads the first point', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const r = await serve([
      {
        method: 'POST',
        path: '/token',
        body: JSON.stringify({ access_token: 'ya29.c.token', expires_in: 3599, token_type: 'Bearer' }),
      },
      {
        method: 'POST',
        path: '/v3/projects/my-project/timeSeries:query',
        // cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/query, response body
        body: JSON.stringify({
          timeSeriesDescriptor: {
            labelDescriptors: [{ key: 'resource.service_name' }],
            pointDescriptors: [{ key: 'value.ratio', valueType: 'DOUBLE', metricKind: 'GAUGE' }],
          },
          timeSeriesData: [
            {
              labelValues: [{ stringValue: 'podinfo' }],
              pointData: [
                {
                  values: [{ doubleValue: 0.995 }],
                  timeInterval: { startTime: '2026-03-01T11:59:00Z', endTime: '2026-03-01T12:00:00Z' },
                },
              ],
            },
          ],
        }),
      },
    ]);
    const key = {
      type: 'service_account',
      project_id: 'my-project',
      private_key_id: 'kid-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'flagger@my-project.iam.gserviceaccount.com',
      token_uri: `${r.url}/token`,
    };
    const v = await queryTemplate({
      provider: { type: 'stackdriver', address: r.url },
      query:
        "fetch k8s_container | metric 'istio.io/service/server/request_count' | filter resource.container_name == '{{ target }}'",
      secret: { project: 'my-project', serviceAccountKey: JSON.stringify(key) },
      now,
    });
    expect(v).toBe(0.995);
    const [token, q] = r.seen;
    const form = new URLSearchParams(token!.body);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [h, c, s] = form.get('assertion')!.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
    expect(JSON.parse(Buffer.from(c!, 'base64url').toString())).toMatchObject({
      iss: 'flagger@my-project.iam.gserviceaccount.com',
      scope: 'https://www.googleapis.com/auth/monitoring.read',
      aud: `${r.url}/token`,
    });
    expect(createVerify('RSA-SHA256').update(`${h}.${c}`).verify(publicKey, Buffer.from(s!, 'base64url'))).toBe(true);
    expect(q?.headers.authorization).toBe('Bearer ya29.c.token');
    expect(JSON.parse(q!.body)).toEqual({
      query:
        "fetch k8s_container | metric 'istio.io/service/server/request_count' | filter resource.container_name == 'podinfo'",
    });
  });

  it('needs the project in the Secret', async () => {
    await expect(
      queryTemplate({ provider: { type: 'stackdriver' }, query: 'q', secret: { serviceAccountKey: '{}' }, now }),
    ).rejects.toThrow('stackdriver credentials does not contain project');
  });
});

describe('splunk (SignalFlow execute, X-SF-Token)', () => {
  // dev.splunk.com/observability/reference/api/signalflow/latest: the execute stream
  const stream = (value: string) => `event: control-message
data: {
data:   "event" : "STREAM_START",
data:   "timestampMs" : 1772366400000
data: }

event: metadata
data: { "properties" : { "sf_metric" : "requests" }, "tsId" : "AAAAAKQ8jVY" }

event: data
data: {
data:   "data" : [ { "tsId" : "AAAAAKQ8jVY", "value" : 2.0 } ],
data:   "logicalTimestampMs" : 1772366340000
data: }

event: data
data: {
data:   "data" : [ ${value} ],
data:   "logicalTimestampMs" : 1772366400000
data: }

event: control-message
data: { "event" : "END_OF_CHANNEL", "timestampMs" : 1772366400000 }

`;

  it('posts the program over the last 10 intervals and reads the last value', async () => {
    const r = await serve([
      {
        method: 'POST',
        path: '/v2/signalflow/execute',
        contentType: 'text/event-stream',
        body: stream('{ "tsId" : "AAAAAKQ8jVY", "value" : 3.5 }'),
      },
    ]);
    const v = await queryTemplate({
      provider: { type: 'splunk', address: r.url },
      query: "data('requests', filter=filter('service', '{{ target }}')).sum().publish()",
      secret: { sf_token_key: 'sf-token' },
      interval: '1m',
      now,
    });
    expect(v).toBe(3.5);
    const req = r.seen[0]!;
    expect(req.headers['x-sf-token']).toBe('sf-token');
    expect(req.body).toBe("data('requests', filter=filter('service', 'podinfo')).sum().publish()");
    expect(Object.fromEntries(req.query)).toEqual({
      start: String(now.getTime() - 600_000),
      stop: String(now.getTime()),
      immediate: 'true',
    });
  });

  it('points of two time series are an error', async () => {
    const r = await serve([
      {
        method: 'POST',
        path: '/v2/signalflow/execute',
        contentType: 'text/event-stream',
        body: stream('{ "tsId" : "OTHER", "value" : 1 }'),
      },
    ]);
    await expect(
      queryTemplate({ provider: { type: 'splunk', address: r.url }, query: 'p', secret: { sf_token_key: 't' }, now }),
    ).rejects.toThrow('multiple values returned');
  });
});

describe('influxdb (POST /api/v2/query, Flux, Authorization: Token) — recorded', () => {
  it('posts the Flux query with the org and reads _value of the first record', async () => {
    // docs.influxdata.com/influxdb/v2/api/#operation/PostQuery: annotated CSV
    const csv = [
      '#datatype,string,long,dateTime:RFC3339,dateTime:RFC3339,dateTime:RFC3339,double,string,string',
      '#group,false,false,true,true,false,false,true,true',
      '#default,_result,,,,,,,',
      ',result,table,_start,_stop,_time,_value,_field,_measurement',
      ',,0,2026-03-01T11:59:00Z,2026-03-01T12:00:00Z,2026-03-01T12:00:00Z,99.25,success_rate,podinfo',
      ',,0,2026-03-01T11:59:00Z,2026-03-01T12:00:00Z,2026-03-01T12:00:00Z,42,success_rate,podinfo',
      '',
    ].join('\r\n');
    const r = await serve([{ method: 'POST', path: '/api/v2/query', contentType: 'text/csv', body: csv }]);
    const v = await queryTemplate({
      provider: { type: 'influxdb', address: r.url },
      query: 'from(bucket: "mesh") |> range(start: -{{ interval }}) |> filter(fn: (r) => r.app == "{{ target }}")',
      secret: { token: 'influx-token', org: 'my-org' },
      now,
    });
    expect(v).toBe(99.25);
    const req = r.seen[0]!;
    expect(req.headers.authorization).toBe('Token influx-token');
    expect(req.query.get('org')).toBe('my-org');
    expect(JSON.parse(req.body)).toEqual({
      query: 'from(bucket: "mesh") |> range(start: -1m) |> filter(fn: (r) => r.app == "podinfo")',
      type: 'flux',
      dialect: { annotations: ['datatype', 'group', 'default'], delimiter: ',', header: true },
    });
  });

  it('no records is no data; a string _value is an error', async () => {
    const r = await serve([
      { method: 'POST', path: '/api/v2/query', contentType: 'text/csv', body: '\r\n' },
      {
        method: 'POST',
        path: '/api/v2/query',
        contentType: 'text/csv',
        body: '#datatype,string,long,string\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,"high, very"\r\n',
      },
    ]);
    const q = { provider: { type: 'influxdb', address: r.url }, query: 'x', now };
    expect(await queryTemplate(q)).toBeUndefined();
    await expect(queryTemplate(q)).rejects.toThrow('influxdb: invalid response: _value "high, very" is a string');
  });
});

describe('keptn (KeptnMetric and Analysis over the Kubernetes API)', () => {
  it('reads status.value of a KeptnMetric with the bearer token', async () => {
    const r = await serve([
      {
        method: 'GET',
        path: '/apis/metrics.keptn.sh/v1beta1/namespaces/test/keptnmetrics/podinfo-error-rate',
        body: JSON.stringify({
          apiVersion: 'metrics.keptn.sh/v1beta1',
          kind: 'KeptnMetric',
          metadata: { name: 'podinfo-error-rate', namespace: 'test' },
          spec: { provider: { name: 'prometheus' }, query: 'x', fetchIntervalSeconds: 10 },
          status: { value: '0.75', rawValue: 'MC43NQ==', lastUpdated: '2026-03-01T11:59:59Z' },
        }),
      },
    ]);
    const v = await queryTemplate({
      provider: { type: 'keptn', address: r.url },
      query: 'keptnmetric/{{ namespace }}/{{ target }}-error-rate',
      secret: { token: 'kube-token' },
      now,
    });
    expect(v).toBe(0.75);
    expect(r.seen[0]?.headers.authorization).toBe('Bearer kube-token');
  });

  it('creates an Analysis, waits for it to complete, answers 1 for pass, and deletes it', async () => {
    const path = '/apis/metrics.keptn.sh/v1beta1/namespaces/test/analyses';
    const created = /^\/apis\/metrics\.keptn\.sh\/v1beta1\/namespaces\/test\/analyses\/podinfo-slo-[0-9a-f]{6}$/;
    const analysis = (status: unknown) =>
      JSON.stringify({ apiVersion: 'metrics.keptn.sh/v1beta1', kind: 'Analysis', status });
    const r = await serve([
      { method: 'POST', path, status: 201, body: analysis({}) },
      { method: 'GET', path: created, body: analysis({ state: 'Progressing' }) },
      { method: 'GET', path: created, body: analysis({ state: 'Completed', pass: true, raw: '...' }) },
      { method: 'DELETE', path: created, body: '{"status":"Success"}' },
    ]);
    const v = await queryTemplate({
      provider: { type: 'keptn', address: r.url },
      query: 'analysis/{{ namespace }}/{{ target }}-slo/5m/workload={{ target }};project=demo',
      now,
    });
    expect(v).toBe(1);
    expect(r.seen.map((s) => s.method)).toEqual(['POST', 'GET', 'GET', 'DELETE']);
    const body = JSON.parse(r.seen[0]!.body) as { metadata: { name: string }; spec: unknown };
    expect(body.spec).toEqual({
      analysisDefinition: { name: 'podinfo-slo' },
      timeframe: { recent: '5m' },
      args: { workload: 'podinfo', project: 'demo' },
    });
    expect(r.seen[3]?.path).toBe(`${path}/${body.metadata.name}`);
  });
});

describe('externalmetrics (the Kubernetes external metrics API)', () => {
  it('lists the metric with the label selector and reads the first quantity', async () => {
    const r = await serve([
      {
        method: 'GET',
        path: '/apis/external.metrics.k8s.io/v1beta1/namespaces/test/queue_length',
        body: JSON.stringify({
          kind: 'ExternalMetricValueList',
          apiVersion: 'external.metrics.k8s.io/v1beta1',
          metadata: {},
          items: [
            {
              metricName: 'queue_length',
              metricLabels: { app: 'podinfo' },
              timestamp: '2026-03-01T12:00:00Z',
              value: '1500m',
            },
          ],
        }),
      },
    ]);
    const v = await queryTemplate({
      provider: { type: 'externalmetrics', address: r.url },
      query: '{{ namespace }}/queue_length?labelSelector=app%3D{{ target }}',
      now,
    });
    expect(v).toBe(1.5);
    expect(r.seen[0]?.query.get('labelSelector')).toBe('app=podinfo');
  });
});

describe('graphite request (GET /render, basic auth from the Secret)', () => {
  it('sends the render parameters sorted with format=json and basic credentials', async () => {
    const r = await serve([
      {
        method: 'GET',
        path: '/graphite/render',
        body: JSON.stringify([
          {
            target: 'x',
            datapoints: [
              [1, 1772366340],
              ['2.5', 1772366350],
              [null, 1772366360],
            ],
          },
        ]),
      },
    ]);
    const v = await queryTemplate({
      provider: { type: 'graphite', address: `${r.url}/graphite` },
      query: 'target=weir.{{ target }}.errors&from=-1min',
      secret: { username: 'flagger', password: 's3cret' },
      now,
    });
    expect(v).toBe(2.5);
    const req = r.seen[0]!;
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('flagger:s3cret').toString('base64')}`);
    expect([...req.query]).toEqual([
      ['format', 'json'],
      ['from', '-1min'],
      ['target', 'weir.podinfo.errors'],
    ]);
  });
});
