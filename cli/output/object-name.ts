import type { KindInfo } from '../../engine/resources/index.js';

/** `canary.flagger.app`, `deployment.apps`, `pod`: how kubectl names a kind in `-o name` and messages */
export function kindGroupName(info: KindInfo): string {
  const singular = info.kind.toLowerCase();
  return info.group === '' ? singular : `${singular}.${info.group}`;
}

/** `canary.flagger.app/podinfo`, `pod/podinfo-7d9c6b5f8-x2k4p`: kubectl's `-o name` */
export function objectName(info: KindInfo, name: string): string {
  return `${kindGroupName(info)}/${name}`;
}

/** `canaries.flagger.app`, `pods`: the resource as kubectl's errors name it */
export function resourceName(info: KindInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}
