type Factory<T> = (opts: Record<string, unknown>) => T;

/**
 * Both packages are CommonJS; they are loaded on demand (only a clustered fleet needs Redis) through
 * a literal dynamic import, which the single-file bundler can see and embed (a createRequire call it
 * cannot, and the executable then fails with "Cannot find module").
 */
async function loadRedisBackends(): Promise<{ mqemitterRedis: Factory<RedisEmitter>; redisPersistence: Factory<RedisPersistence> }> {
  // aedes-persistence-redis ships no type declarations: its default export is typed here, at the boundary
  const [mq, persistence] = (await Promise.all([import("mqemitter-redis"), import("aedes-persistence-redis" as string)])) as [{ default: unknown }, { default: unknown }];
  return { mqemitterRedis: mq.default as Factory<RedisEmitter>, redisPersistence: persistence.default as Factory<RedisPersistence> };
}

interface RedisEmitter {
  close(cb?: () => void): void;
}
interface RedisPersistence {
  ready: boolean;
  setup(broker: unknown): Promise<void>;
  emit(event: "ready"): boolean;
  destroy(): Promise<void>;
}

/** What EmbeddedBroker passes to aedes instead of its in-memory defaults. */
export interface BrokerBackends {
  mq: unknown;
  persistence: unknown;
  /** Releases the Redis connections the backends hold (aedes closes `mq` itself on close). */
  close(): Promise<void>;
}

/** Redis connection options from a `redis://[:password@]host:port[/db]` URL. */
export function redisOptions(url: string): { host: string; port: number; password?: string; db: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${url}' is not a Redis URL; use redis://host:6379[/db]`);
  }
  if (u.protocol !== "redis:") throw new Error(`'${u.protocol}' is not a Redis URL scheme; use redis://host:6379[/db]`);
  const db = Number(u.pathname.slice(1) || 0);
  if (!Number.isInteger(db) || db < 0) throw new Error(`'${u.pathname}' is not a Redis database number; use redis://host:6379/0`);
  return { host: u.hostname || "127.0.0.1", port: Number(u.port || 6379), db, ...(u.password ? { password: decodeURIComponent(u.password) } : {}) };
}

/**
 * aedes on several cores or hosts: each broker process uses mqemitter-redis (publishes reach the
 * subscribers connected to any other broker through Redis pub/sub) and aedes-persistence-redis
 * (sessions, subscriptions, retained messages and offline QoS 1 queues live in Redis, so a device may
 * reconnect to any broker behind the load balancer). The existing, maintained aedes backends, not a
 * home-made bus.
 */
export async function redisBackends(url: string): Promise<BrokerBackends> {
  const opts = redisOptions(url);
  const { mqemitterRedis, redisPersistence } = await loadRedisBackends();
  // ioredis retries forever by default; fail commands after a few attempts so a Redis outage is
  // visible as errors instead of an ever-growing queue in memory
  const common = { ...opts, maxRetriesPerRequest: 5, enableOfflineQueue: true };
  const mq = mqemitterRedis(common);
  const persistence = redisPersistence({ ...common, maxSessionDelivery: 1000 });
  // aedes-persistence-redis 11 wraps its async store in aedes-persistence 10's callback layer, which
  // marks itself ready only when `broker` is assigned; aedes 1.x calls `await setup(broker)` instead,
  // so callback-style calls (and destroy(cb)) would wait forever. Mark it ready after setup.
  const setup = persistence.setup.bind(persistence);
  persistence.setup = async (broker: unknown) => {
    await setup(broker);
    persistence.ready = true;
    persistence.emit("ready");
  };
  // aedes closes its mq on close(), but the persistence unsubscribes through that mq when destroyed
  // and waits forever once it is gone: the emitter's close is deferred to ours, after the persistence
  const closeMq = mq.close.bind(mq);
  mq.close = (cb?: () => void) => cb?.();
  let closed = false;
  return {
    mq,
    persistence,
    async close() {
      if (closed) return;
      closed = true;
      await persistence.destroy().catch(() => undefined);
      await new Promise<void>((r) => closeMq(() => r()));
    },
  };
}
