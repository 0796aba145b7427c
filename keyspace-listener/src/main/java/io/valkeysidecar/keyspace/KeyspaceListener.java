package io.valkeysidecar.keyspace;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Valkey's keyevent notifications for every database and hands them to handlers.
 *
 * <p>At start (and after every reconnect, since a restarted Valkey forgets CONFIG SET) it merges the flags its
 * handlers need into {@code notify-keyspace-events}, keeping whatever the operator set. Keyspace events are
 * fire-and-forget pub/sub: whatever happened while the subscription was down is lost, and so is what a slow
 * handler could not keep up with (the queue is bounded). In both cases handlers get {@link
 * KeyspaceEventHandler#onResync()} so they re-check Valkey's state instead of trusting a stream with holes.
 *
 * <p>Every event is offered to {@link KeyspaceEventHandler#wants} on the connection's I/O thread first; only
 * events some handler wants are queued, so the dispatcher thread is not woken for the rest.
 */
public final class KeyspaceListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyspaceListener.class);

    private static final byte[] PATTERN = "__keyevent@*__:*".getBytes(StandardCharsets.US_ASCII);
    private static final Object RESYNC = new Object();

    private final RedisClient client;
    private final String requiredFlags;
    private final List<KeyspaceEventHandler> handlers;
    private final BlockingQueue<Object> queue;
    private final Thread dispatcher;
    private final AtomicBoolean resyncPending = new AtomicBoolean();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean running = true;
    private volatile StatefulRedisPubSubConnection<byte[], byte[]> subscription;

    /**
     * @param requiredFlags {@code notify-keyspace-events} flags the handlers need, e.g. "En" (keyevent
     *                      notifications of new keys only) or "EA" (of every write, expiry and eviction)
     * @param queueCapacity events buffered for handlers; beyond it events are dropped and a resync is scheduled
     */
    public KeyspaceListener(ClientResources resources, RedisURI upstream, String requiredFlags,
                            List<KeyspaceEventHandler> handlers, int queueCapacity) {
        this.client = RedisClient.create(resources, upstream);
        this.requiredFlags = requiredFlags;
        this.handlers = List.copyOf(handlers);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.dispatcher = new Thread(this::dispatch, "keyspace-listener");
        this.dispatcher.setDaemon(true);
    }

    /**
     * Configures notifications, subscribes, and starts dispatching (with a first resync). Blocks until
     * subscribed; while Valkey is unreachable the dispatcher keeps retrying instead, so the sidecar still starts.
     */
    public void start() {
        try {
            subscribe();
        } catch (RuntimeException e) {
            log.warn("keyspace listener cannot subscribe yet ({}); will retry", e.getMessage());
        }
        // Whatever happened before the sidecar (re)started was not seen either: handlers check once at start.
        scheduleResync();
        dispatcher.start();
    }

    /** Merges the notification flags, connects the subscription the first time, and (re)subscribes. */
    private void subscribe() {
        ensureNotifyFlags();
        if (subscription == null) {
            StatefulRedisPubSubConnection<byte[], byte[]> s = client.connectPubSub(ByteArrayCodec.INSTANCE);
            s.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(byte[] pattern, byte[] channel, byte[] message) {
                    KeyspaceEvent event = KeyspaceEvent.fromChannel(channel, message);
                    if (event != null) {
                        received.incrementAndGet();
                        if (wanted(event)) {
                            offer(event);
                        }
                    }
                }
            });
            subscription = s;
            client.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                    if (connection == subscription) {
                        // Reconnected after a gap (the first connect happens before this listener exists).
                        scheduleResync();
                    }
                }
            });
        }
        subscription.sync().psubscribe(PATTERN);
    }

    /** Events received from Valkey so far, wanted by a handler or not. */
    public long received() {
        return received.get();
    }

    private boolean wanted(KeyspaceEvent event) {
        for (KeyspaceEventHandler h : handlers) {
            if (h.wants(event)) {
                return true;
            }
        }
        return false;
    }

    /** Events dropped because handlers fell behind (each drop leads to a resync). */
    public long dropped() {
        return dropped.get();
    }

    private void offer(Object item) {
        if (!queue.offer(item)) {
            dropped.incrementAndGet();
            scheduleResync();
        }
    }

    private void scheduleResync() {
        if (resyncPending.compareAndSet(false, true)) {
            // Never dropped: if the queue is full the dispatcher notices the pending flag on its own.
            queue.offer(RESYNC);
        }
    }

    private void dispatch() {
        while (running) {
            Object item;
            try {
                item = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            // A pending resync goes first: events still queued are hints that handlers re-check anyway.
            if (resyncPending.get()) {
                resync();
            }
            if (item == null || item == RESYNC) {
                continue;
            }
            if (item instanceof KeyspaceEvent event) {
                for (KeyspaceEventHandler h : handlers) {
                    try {
                        h.onEvent(event);
                    } catch (RuntimeException e) {
                        log.warn("keyspace event handler failed on {}", event.event(), e);
                    }
                }
            }
        }
    }

    /** After a gap: notifications reconfigured, subscription confirmed, then every handler re-checks. */
    private void resync() {
        resyncPending.set(false);
        try {
            subscribe();
        } catch (RuntimeException e) {
            log.warn("keyspace listener cannot resubscribe yet ({}); will retry", e.getMessage());
            sleepQuietly();
            scheduleResync();
            return;
        }
        log.info("keyspace events resubscribed after a gap; resynchronising");
        for (KeyspaceEventHandler h : handlers) {
            try {
                h.onResync();
            } catch (RuntimeException e) {
                log.warn("keyspace resync handler failed", e);
            }
        }
    }

    /** Adds the required flags to {@code notify-keyspace-events}, keeping the operator's flags. */
    private void ensureNotifyFlags() {
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            Map<String, String> current = c.sync().configGet("notify-keyspace-events");
            String configured = current.getOrDefault("notify-keyspace-events", "");
            if (!NotifyFlags.covers(configured, requiredFlags)) {
                String merged = NotifyFlags.merge(configured, requiredFlags);
                c.sync().configSet("notify-keyspace-events", merged);
                log.info("notify-keyspace-events was '{}', set to '{}'", configured, merged);
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        dispatcher.interrupt();
        if (subscription != null) {
            subscription.close();
        }
        client.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
