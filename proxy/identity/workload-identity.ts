import type { X509Certificate } from 'node:crypto';
import { checkMaterial, parseTrustAnchors } from './check-material.js';
import { createKeyAndCsr, type KeyAndCsr } from './csr.js';
import { DEFAULT_REFRESH, refreshDelay, retryDelay } from './refresh.js';
import type { CertifyRequest, CertifyResponse, IdentitySource, TlsMaterial } from './types.js';

/** setTimeout/clearTimeout, injectable so that the renewal schedule is tested on a fake clock */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface WorkloadIdentityOptions {
  /** the identity to ask for, `<sa>.<ns>.serviceaccount.identity.weir.cluster.local` */
  identity: string;
  /** the roots to trust (PEM bundle), given at start and never taken from the control plane */
  trustAnchorsPem: string;
  /** the token that proves the workload, read before each request (a projected token rotates) */
  token: () => string | Promise<string>;
  /** Identity.Certify, over whatever transport */
  certify: (req: CertifyRequest) => Promise<CertifyResponse>;
  /** 10 s by default */
  minRefreshMs?: number;
  /** 24 h by default */
  maxRefreshMs?: number;
  /** the longest wait between two failed tries; 60 s by default (never below the min refresh) */
  maxRetryMs?: number;
  /** a Certify call that has not answered by then counts as failed; 10 s by default */
  certifyTimeoutMs?: number;
  /** told of each failed try (the certificate in use, if any, stays) */
  onError?: (err: Error) => void;
  now?: () => number;
  timers?: Timers;
}

/**
 * A sidecar's identity, as linkerd2-proxy's identity client: it makes its own ECDSA P-256 key (which never
 * leaves the process) and a CSR for its identity, and asks the control plane to certify it with its token.
 * Each answer is checked before use (checkMaterial). It renews at 70 % of the remaining lifetime, clamped to
 * [min, max] refresh; a failed try is retried after min refresh, doubling, while the certificate in use is kept
 * as long as it is valid.
 */
export class WorkloadIdentity implements IdentitySource {
  private readonly trustAnchors: X509Certificate[];
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly bounds;
  private readonly maxRetryMs: number;
  private readonly certifyTimeoutMs: number;
  private readonly listeners = new Set<(m: TlsMaterial) => void>();
  private material: TlsMaterial | undefined;
  private keyAndCsr: Promise<KeyAndCsr> | undefined;
  private timer: unknown;
  private failures = 0;
  private started = false;
  private closed = false;
  private readonly firstCertificate: Promise<TlsMaterial>;
  private resolveFirst!: (m: TlsMaterial) => void;
  private rejectFirst!: (err: Error) => void;

  constructor(private readonly options: WorkloadIdentityOptions) {
    this.trustAnchors = parseTrustAnchors(options.trustAnchorsPem);
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.bounds = {
      minRefreshMs: options.minRefreshMs ?? DEFAULT_REFRESH.minRefreshMs,
      maxRefreshMs: options.maxRefreshMs ?? DEFAULT_REFRESH.maxRefreshMs,
    };
    if (!(this.bounds.minRefreshMs > 0 && this.bounds.minRefreshMs <= this.bounds.maxRefreshMs))
      throw new Error('identity: minRefreshMs must be positive and at most maxRefreshMs');
    this.maxRetryMs = options.maxRetryMs ?? 60_000;
    this.certifyTimeoutMs = options.certifyTimeoutMs ?? 10_000;
    this.firstCertificate = new Promise<TlsMaterial>((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
    this.firstCertificate.catch(() => {}); // a closed identity nobody waited on is not an unhandled rejection
  }

  /** begin: make the key and the CSR, then ask for the first certificate */
  start(): this {
    if (this.started || this.closed) return this;
    this.started = true;
    void this.renew();
    return this;
  }

  /** resolves with the first certificate; rejects if closed before there is one */
  ready(): Promise<TlsMaterial> {
    return this.firstCertificate;
  }

  /** the material in use, while its leaf is valid */
  current(): TlsMaterial | undefined {
    return this.material && this.material.notAfter > this.now() ? this.material : undefined;
  }

  onUpdate(listener: (m: TlsMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** stop renewing; the material in use stays readable until it expires */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.rejectFirst(new Error('identity: closed before a certificate was obtained'));
  }

  private async renew(): Promise<void> {
    this.timer = undefined;
    let next: number;
    try {
      const material = await this.attempt();
      if (this.closed) return;
      this.failures = 0;
      this.material = material;
      next = refreshDelay(material.notAfter, this.now(), this.bounds);
      this.resolveFirst(material);
      for (const listener of [...this.listeners]) {
        try {
          listener(material);
        } catch (err) {
          this.options.onError?.(err as Error);
        }
      }
    } catch (err) {
      if (this.closed) return;
      this.failures++;
      next = retryDelay(this.failures, this.bounds, this.maxRetryMs);
      this.options.onError?.(
        new Error(`identity: certification of ${this.options.identity} failed: ${(err as Error).message}`, {
          cause: err,
        }),
      );
    }
    this.timer = this.timers.setTimeout(() => void this.renew(), next);
  }

  private async attempt(): Promise<TlsMaterial> {
    // one key for the life of the process, as Linkerd's proxy: the CSR is made once and sent with every renewal
    this.keyAndCsr ??= createKeyAndCsr(this.options.identity);
    const { keyPem, csr } = await this.keyAndCsr.catch((err: unknown) => {
      this.keyAndCsr = undefined;
      throw err;
    });
    const token = await this.options.token();
    const response = await this.withTimeout(this.options.certify({ identity: this.options.identity, token, csr }));
    return checkMaterial({
      identity: this.options.identity,
      keyPem,
      trustAnchorsPem: this.options.trustAnchorsPem,
      trustAnchors: this.trustAnchors,
      response,
      now: this.now(),
    });
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.timers.setTimeout(
        () => reject(new Error(`no answer within ${this.certifyTimeoutMs} ms`)),
        this.certifyTimeoutMs,
      );
      p.then(
        (v) => {
          this.timers.clearTimeout(t);
          resolve(v);
        },
        (err: unknown) => {
          this.timers.clearTimeout(t);
          reject(err as Error);
        },
      );
    });
  }
}
