import { LANE_HEADER } from '../../engine/canary/index.js';

/**
 * Coordinated canaries (engine/canary/release.ts): the header match of a member's lane rule. The rule comes
 * first on the member's route and sends requests carrying `weir-lane: <namespace>/<release>` 100% to the
 * canary; by Gateway API precedence a match with a header wins over the weighted rule's same path without
 * one, so the weighted split applies only to requests without the lane.
 */
export function laneHeaderMatch(lane: string): { type: 'Exact'; name: string; value: string } {
  return { type: 'Exact', name: LANE_HEADER, value: lane };
}
