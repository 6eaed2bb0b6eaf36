import type { CanaryAlertNote } from '../engine/canary/index.js';
import { getAnalysis } from '../engine/canary/index.js';
import type {
  AlertProvider,
  AlertProviderType,
  AlertSeverity,
  Canary,
  CanaryAlert,
  Secret,
} from '../engine/resources/index.js';
import type { ResourceStore } from '../controlplane/store/resource-store.js';
import { postJson, type PostOptions } from './http-post.js';
import { errorMessage, silentLogger, type Logger } from './logger.js';

/**
 * Flagger's alerting (reference 1.6, `pkg/notifier`): each `analysis.alerts[]` entry names an AlertProvider
 * (slack, msteams, discord, rocket, gchat) and a severity; a note reaches the alert when the alert's severity
 * admits it. The provider's address is `spec.address`, or key `address` of the Secret `spec.secretRef`; that
 * Secret's optional `token` is sent as `Authorization: Bearer <token>` to Slack (Flagger passes it only to its
 * Slack notifier, for Slack's `chat.postMessage` API).
 *
 * Weir difference: an alert whose severity is empty means `info` (receives everything), as Flagger's CRD
 * documents; Flagger's code matches nothing for it (the schema already reads "" as info).
 */

const rank: Record<AlertSeverity, number> = { info: 0, warn: 1, error: 2 };

/** `info` receives everything, `warn` warn and error, `error` error only. */
export function severityAdmits(alert: AlertSeverity | '' | undefined, note: AlertSeverity): boolean {
  return rank[note] >= rank[alert || 'info'];
}

export interface AlertField {
  name: string;
  value: string;
}

/** Flagger's alert fields when the note asks for metadata (initialization, new revision). */
export function alertFields(canary: Canary): AlertField[] {
  const a = getAnalysis(canary);
  const t = canary.spec.targetRef;
  const fields: AlertField[] = [
    { name: 'Target', value: `${t.kind}/${t.name}.${canary.metadata.namespace}` },
    { name: 'Failed checks threshold', value: String(a?.threshold ?? 0) },
    { name: 'Progress deadline', value: `${canary.spec.progressDeadlineSeconds}s` },
  ];
  if ((a?.stepWeight ?? 0) > 0) {
    fields.push({ name: 'Traffic routing', value: `Weight step: ${a?.stepWeight} max: ${a?.maxWeight ?? 100}` });
  } else if ((a?.stepWeights?.length ?? 0) > 0) {
    fields.push({
      name: 'Traffic routing',
      value: `Weight steps: ${a?.stepWeights?.join(',')} max: ${a?.maxWeight ?? 100}`,
    });
  } else if ((a?.match?.length ?? 0) > 0) {
    fields.push({ name: 'Traffic routing', value: 'A/B Testing' });
  } else if ((a?.iterations ?? 0) > 0) {
    fields.push({ name: 'Traffic routing', value: 'Blue/Green' });
  }
  return fields;
}

const ICON = 'https://raw.githubusercontent.com/fluxcd/flagger/main/docs/logo/flagger-icon.png';

/** The JSON each provider type expects (Flagger `pkg/notifier`: slack, discord and rocket share Slack's). */
export function alertPayload(
  type: AlertProviderType,
  provider: { channel?: string; username?: string },
  canary: Canary,
  note: CanaryAlertNote,
): unknown {
  const subject = `${canary.spec.targetRef.name}.${canary.metadata.namespace}`;
  const fields = note.metadata ? alertFields(canary) : [];
  switch (type) {
    case 'msteams':
      return {
        '@type': 'MessageCard',
        '@context': 'http://schema.org/extensions',
        themeColor: note.severity === 'error' ? 'FF0000' : note.severity === 'warn' ? 'FFA500' : '0076D7',
        summary: subject,
        sections: [{ activityTitle: note.message, activitySubtitle: subject, facts: fields }],
      };
    case 'gchat':
      return {
        cards: [
          {
            header: { title: subject, subtitle: note.message, imageUrl: ICON },
            sections: [{ widgets: fields.map((f) => ({ keyValue: { topLabel: f.name, content: f.value } })) }],
          },
        ],
      };
    default:
      return {
        channel: provider.channel ?? 'general',
        username: provider.username ?? 'flagger',
        icon_url: ICON,
        attachments: [
          {
            color: note.severity === 'error' ? 'danger' : note.severity === 'warn' ? 'warning' : 'good',
            author_name: subject,
            text: note.message,
            mrkdwn_in: ['text'],
            fields: fields.map((f) => ({ title: f.name, value: f.value, short: false })),
          },
        ],
      };
  }
}

/** Flagger: Discord takes Slack's payload at `<webhook>/slack`. */
export function alertUrl(type: AlertProviderType, address: string): string {
  if (type !== 'discord' || address.replace(/\/+$/, '').endsWith('/slack')) return address;
  const u = new URL(address);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/slack`;
  return u.toString();
}

export interface AlertDelivery {
  alert: string;
  provider: string;
  ok: boolean;
  message?: string;
}

export type AlertPost = (
  url: string,
  body: string,
  timeoutMs: number,
  options?: PostOptions,
) => Promise<{ status: number; body: string }>;

export interface AlertNotifierOptions {
  store: ResourceStore;
  post?: AlertPost;
  logger?: Logger;
  timeoutMs?: number;
}

/** Sends a canary's alert notes to its AlertProviders. */
export class AlertNotifier {
  private readonly post: AlertPost;
  private readonly logger: Logger;

  constructor(private readonly options: AlertNotifierOptions) {
    this.post = options.post ?? postJson;
    this.logger = options.logger ?? silentLogger;
  }

  /** deliver one note to every alert of the canary that admits it; failures are logged and returned */
  async notify(canary: Canary, note: CanaryAlertNote): Promise<AlertDelivery[]> {
    const alerts = (getAnalysis(canary)?.alerts ?? []).filter((a: CanaryAlert) =>
      severityAdmits(a.severity, note.severity),
    );
    const out: AlertDelivery[] = [];
    for (const alert of alerts) {
      const ns = alert.providerRef.namespace ?? canary.metadata.namespace;
      const d: AlertDelivery = { alert: alert.name, provider: `${ns}/${alert.providerRef.name}`, ok: false };
      try {
        const provider = this.options.store.get<AlertProvider>('AlertProvider', ns, alert.providerRef.name);
        if (!provider) throw new Error(`AlertProvider ${ns}/${alert.providerRef.name} not found`);
        const { address, token } = this.target(provider);
        const body = JSON.stringify(alertPayload(provider.spec.type, provider.spec, canary, note));
        const proxy = provider.spec.proxy;
        const bearer = token && provider.spec.type === 'slack' ? { authorization: `Bearer ${token}` } : undefined;
        // an address from a Secret is a secret (a Slack hook's path is its credential): never in a message
        const ref = provider.spec.secretRef?.name;
        const label = ref ? `the address of Secret ${provider.metadata.namespace}/${ref}` : undefined;
        const res = await this.post(alertUrl(provider.spec.type, address), body, this.options.timeoutMs ?? 10_000, {
          ...(proxy ? { proxy } : {}),
          ...(bearer ? { headers: bearer } : {}),
          ...(label ? { label } : {}),
        });
        if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status} ${res.body}`.trim());
        d.ok = true;
      } catch (err) {
        d.message = errorMessage(err);
        this.logger.warn(
          `canary ${canary.metadata.namespace}/${canary.metadata.name}: alert ${alert.name} failed: ${d.message}`,
        );
      }
      out.push(d);
    }
    return out;
  }

  /**
   * Where the provider posts: the Secret's `address` over `spec.address` (Flagger reads the Secret when
   * there is one), and the Secret's optional `token`.
   */
  private target(p: AlertProvider): { address: string; token?: string } {
    const ref = p.spec.secretRef?.name;
    if (!ref) {
      if (p.spec.address) return { address: p.spec.address };
      throw new Error(`AlertProvider ${p.metadata.name} has no address`);
    }
    const secret = this.options.store.get<Secret>('Secret', p.metadata.namespace, ref);
    if (!secret) throw new Error(`Secret ${p.metadata.namespace}/${ref} not found`);
    const value = (key: string): string | undefined => {
      const plain = secret.stringData?.[key];
      if (plain !== undefined) return plain;
      const b64 = secret.data?.[key];
      return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8').trim();
    };
    const address = value('address') || p.spec.address;
    if (!address) throw new Error(`Secret ${p.metadata.namespace}/${ref} has no key "address"`);
    const token = value('token');
    return { address, ...(token ? { token } : {}) };
  }
}
