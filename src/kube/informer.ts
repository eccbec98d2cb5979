// One kind of object kept in sync with the API server: @kubernetes/client-node's ListWatch (list, then
// watch from the list's resourceVersion; a 410 Gone relists) with what it leaves to its user:
// - watches ask for bookmarks, so a quiet watch keeps a fresh resourceVersion and rarely meets a 410;
// - any other error restarts the ListWatch after a backoff (client-node stops for good otherwise);
// - the list is ours (KubeClient.list: plain JSON, paged), and "synced" is known once it is applied.
// A relist that fails changes nothing: the objects from the last good list stay, so a dropped
// connection to the API server never empties what is served.

import { ListWatch, Watch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import type { KubeObject } from '../objects/kube.js';
import { KubeApiError, type KubeClient } from './client.js';

export interface Collection {
  kind: string;
  apiVersion: string;
  /** Collection path: `/api/v1/services` or `/api/v1/namespaces/ns/services`. */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * The API may not be installed (Gateway API CRDs): a 404 then reads as an empty collection, synced,
   * and the list is tried again every `maxMs` of the backoff, so installing the CRDs later is noticed.
   */
  optional?: boolean;
}

export interface InformerEvents {
  upsert(object: KubeObject): void;
  remove(object: KubeObject): void;
  /** The informer started or stopped failing (its lastError changed). */
  health(): void;
  /** A list was applied (the first, or one after a 410). */
  synced?(): void;
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/**
 * An object as the store keeps it, with its collection's kind and apiVersion. The items of a list carry
 * neither, the objects of a watch carry them first: stamped in front, an object read from either has its
 * keys in the same order, so the store (which compares objects as JSON) sees the first watch event after
 * a list as the same object when only its status changed (a status written to ten thousand Ingresses
 * would otherwise be ten thousand changes).
 */
export function stamped(collection: Pick<Collection, 'kind' | 'apiVersion'>, object: KubernetesObject): KubeObject {
  const out = { apiVersion: collection.apiVersion, kind: collection.kind, ...object };
  out.apiVersion = collection.apiVersion;
  out.kind = collection.kind;
  return out as unknown as KubeObject;
}

/**
 * Asks every watch for bookmarks, and ends a watch that connects once its informer has stopped: client-node's
 * ListWatch can only abort the watch it already holds, so one still being listed for or connecting when
 * stop() came would stay open for good (and hold the whole store). The rest is client-node's Watch.
 */
class BookmarkingWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly stopped: () => boolean,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, unknown>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = await super.watch(path, { ...queryParams, allowWatchBookmarks: true }, callback, done);
    if (this.stopped()) controller.abort();
    return controller;
  }
}

export class Informer {
  private readonly listWatch: ListWatch<KubernetesObject>;
  private synced = false;
  private stopped = false;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  /** The last error while it lasts; cleared by the next successful list or watch event. */
  lastError: string | undefined;
  /** An optional collection whose API the server does not serve (404). */
  absent = false;
  restarts = 0;

  constructor(
    readonly collection: Collection,
    client: KubeClient,
    config: KubeConfig,
    private readonly events: InformerEvents,
    private readonly log: Logger,
    private readonly backoff: Backoff = { initialMs: 500, maxMs: 30_000 },
  ) {
    this.delayMs = backoff.initialMs;
    const stamp = (object: KubernetesObject): KubeObject => stamped(collection, object);
    const list = async () => {
      const result = await client.list<KubernetesObject>(collection.path, { labelSelector: collection.labelSelector, fieldSelector: collection.fieldSelector });
      // ListWatch applies the items right after this promise resolves; the next turn sees them applied.
      setImmediate(() => this.listed());
      return { metadata: { resourceVersion: result.resourceVersion }, items: result.items } as never;
    };
    this.listWatch = new ListWatch(
      collection.path,
      new BookmarkingWatch(config, () => this.stopped),
      list,
      false,
      collection.labelSelector,
      collection.fieldSelector,
    );
    this.listWatch.on('add', (o) => this.applied(() => events.upsert(stamp(o))));
    this.listWatch.on('update', (o) => this.applied(() => events.upsert(stamp(o))));
    this.listWatch.on('delete', (o) => this.applied(() => events.remove(stamp(o))));
    this.listWatch.on('error', (error) => this.failed(error));
  }

  start(): void {
    this.stopped = false;
    void this.listWatch.start().catch((error: unknown) => this.failed(error));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    void this.listWatch.stop();
  }

  /** True once the first list has been applied. */
  isSynced(): boolean {
    return this.synced;
  }

  private listed(): void {
    this.synced = true;
    this.events.synced?.();
    if (this.absent) {
      this.absent = false;
      this.log.info('this API is installed now', { kind: this.collection.kind, path: this.collection.path });
      this.events.health();
    }
    this.delayMs = this.backoff.initialMs;
    this.recovered();
  }

  private applied(apply: () => void): void {
    this.recovered();
    apply();
  }

  private recovered(): void {
    if (this.lastError === undefined) return;
    this.lastError = undefined;
    this.log.info('watch recovered', { kind: this.collection.kind, path: this.collection.path });
    this.events.health();
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    if (this.collection.optional && error instanceof KubeApiError && error.status === 404) {
      if (!this.absent)
        this.log.info('this API is not installed; its kind is read as empty until it is', { kind: this.collection.kind, path: this.collection.path });
      this.absent = true;
      this.synced = true;
      this.recovered();
      this.events.health();
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        if (!this.stopped) this.start();
      }, this.backoff.maxMs);
      this.timer.unref();
      return;
    }
    const first = this.lastError === undefined;
    this.lastError = describe(error);
    if (first) this.events.health();
    this.restarts++;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.backoff.maxMs, this.delayMs * 2);
    this.log.warn('watch failed; restarting after a pause (the objects already read keep serving)', {
      kind: this.collection.kind,
      path: this.collection.path,
      error: this.lastError,
      retryInMs: delay,
    });
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.stopped) this.start();
    }, delay);
    this.timer.unref();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    const e = error as { statusCode?: number; code?: number; message?: string };
    return `${e.statusCode ?? e.code ?? ''} ${e.message ?? JSON.stringify(error).slice(0, 200)}`.trim();
  }
  return String(error);
}
