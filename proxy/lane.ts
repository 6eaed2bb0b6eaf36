import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http2';
import { LANE_HEADER } from '../engine/canary/release.js';
import { writeRawHeader } from './tracing/carriers.js';

/**
 * Coordinated canaries (engine/canary/release.ts): the sidecar of a canary-lane pod (`weir proxy --lane`) puts
 * `weir-lane: <lane>` on every outbound request of its app, before routing, replacing any value the app sent.
 * A sidecar cannot tell which inbound request an outbound call serves, so the rule is per pod: everything a
 * canary pod of a release calls is in the release's lane; the routes of the release's other members send
 * the lane to their canaries (lane rules), and every other route ignores the header.
 */
export function putLaneHttp1(req: IncomingMessage, lane: string): void {
  // the parsed headers (routing reads them) and the raw ones (forwarded upstream) alike
  req.headers[LANE_HEADER] = lane;
  writeRawHeader(req.rawHeaders, LANE_HEADER, lane);
}

export function putLaneHttp2(headers: IncomingHttpHeaders, lane: string): void {
  headers[LANE_HEADER] = lane;
}
