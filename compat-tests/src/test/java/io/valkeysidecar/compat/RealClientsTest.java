package io.valkeysidecar.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;

/** Lettuce (RESP3 and RESP2) and Jedis 5 doing what applications do, against the sidecar only. */
class RealClientsTest {

    private static SidecarFixture fx;
    private static RedisClient lettuce;

    @BeforeAll
    static void start() {
        fx = SidecarFixture.start();
        lettuce = RedisClient.create(fx.sidecarUri());
        lettuce.setDefaultTimeout(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        lettuce.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        fx.close();
    }

    @BeforeEach
    void flush() throws Exception {
        fx.flush();
    }

    private static StatefulRedisConnection<String, String> connect(ProtocolVersion protocol) {
        lettuce.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
        return lettuce.connect();
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void lettuceMixedFlow(ProtocolVersion protocol) throws Exception {
        try (StatefulRedisConnection<String, String> conn = connect(protocol);
             StatefulRedisConnection<String, String> other = connect(protocol)) {
            RedisCommands<String, String> r = conn.sync();
            assertThat(r.set("user:1", "ada")).isEqualTo("OK");
            assertThat(r.get("user:1")).isEqualTo("ada");
            assertThat(r.incrby("visits", 41)).isEqualTo(41);
            assertThat(r.hset("h", Map.of("a", "1", "b", "2"))).isEqualTo(2);
            assertThat(r.hgetall("h")).containsExactlyInAnyOrderEntriesOf(Map.of("a", "1", "b", "2"));
            r.zadd("z", 1.5, "x", 2.5, "y");
            assertThat(r.zrangeWithScores("z", 0, -1)).containsExactly(ScoredValue.just(1.5, "x"), ScoredValue.just(2.5, "y"));
            assertThat(r.zscore("z", "y")).isEqualTo(2.5);
            assertThat(r.smembers("none")).isEmpty();
            r.xadd("s", Map.of("f", "v"));
            List<StreamMessage<String, String>> entries = r.xrange("s", Range.create("-", "+"));
            assertThat(entries).hasSize(1);
            assertThat(entries.get(0).getBody()).isEqualTo(Map.of("f", "v"));
            assertThat((Long) r.eval("return redis.call('INCR', KEYS[1])", ScriptOutputType.INTEGER, "visits")).isEqualTo(42);
            assertThat(r.clientSetname("lettuce-app")).isEqualTo("OK");
            assertThat(r.clientGetname()).isEqualTo("lettuce-app");
            assertThat(r.info("sidecar")).contains("# Sidecar");

            // Pipelining: a thousand commands flushed at once, answered in order.
            RedisAsyncCommands<String, String> async = conn.async();
            conn.setAutoFlushCommands(false);
            List<RedisFuture<?>> futures = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                futures.add(async.set("p" + i, Integer.toString(i)));
                futures.add(async.incr("counter"));
                futures.add(async.get("p" + i));
            }
            conn.flushCommands();
            conn.setAutoFlushCommands(true);
            CompletableFuture.allOf(futures.stream().map(RedisFuture::toCompletableFuture)
                    .toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            for (int i = 0; i < 1000; i++) {
                assertThat(futures.get(3 * i + 1).get()).isEqualTo((long) i + 1);
                assertThat(futures.get(3 * i + 2).get()).isEqualTo(Integer.toString(i));
            }

            // Transactions: committed, and discarded by a concurrent write to a watched key.
            r.multi();
            r.set("t", "1");
            r.incr("t");
            TransactionResult committed = r.exec();
            assertThat(committed.wasDiscarded()).isFalse();
            assertThat((Long) committed.get(1)).isEqualTo(2);
            r.watch("t");
            other.sync().set("t", "changed");
            r.multi();
            r.incr("t");
            assertThat(r.exec().wasDiscarded()).isTrue();
            assertThat(r.get("t")).isEqualTo("changed");

            // A blocking pop served by another client.
            RedisFuture<KeyValue<String, String>> popped = async.blpop(5, "queue");
            Thread.sleep(100);
            other.sync().rpush("queue", "job");
            assertThat(popped.get(5, TimeUnit.SECONDS)).isEqualTo(KeyValue.just("queue", "job"));
            assertThat(r.xread(XReadArgs.Builder.block(100), XReadArgs.StreamOffset.latest("s"))).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(ProtocolVersion.class)
    void lettucePubSubListenerSeesWhatItSeesDirectly(ProtocolVersion protocol) throws Exception {
        List<String> direct = pubSubFlow(RedisClient.create(fx.valkeyUri()), protocol);
        List<String> viaSidecar = pubSubFlow(RedisClient.create(fx.sidecarUri()), protocol);
        assertThat(viaSidecar).isEqualTo(direct)
                .containsSubsequence("orders=o1", "log.*:log.db=slow", "alerts=a1", "alerts=a2");
    }

    /** Subscribes, publishes from another connection, unsubscribes; returns what the listener and calls saw. */
    private static List<String> pubSubFlow(RedisClient client, ProtocolVersion protocol) throws Exception {
        client.setOptions(ClientOptions.builder().protocolVersion(protocol).build());
        BlockingQueue<String> received = new ArrayBlockingQueue<>(100);
        List<String> seen = new ArrayList<>();
        try (StatefulRedisPubSubConnection<String, String> sub = client.connectPubSub();
             StatefulRedisConnection<String, String> pub = client.connect()) {
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    received.add(channel + "=" + message);
                }

                @Override
                public void message(String pattern, String channel, String message) {
                    received.add(pattern + ":" + channel + "=" + message);
                }
            });
            sub.sync().subscribe("orders", "alerts");
            sub.sync().psubscribe("log.*");
            seen.add("published to " + pub.sync().publish("orders", "o1"));
            seen.add("published to " + pub.sync().publish("log.db", "slow"));
            seen.add("published to " + pub.sync().publish("alerts", "a1"));
            seen.add("ping " + sub.sync().ping());
            sub.sync().unsubscribe("orders");
            seen.add("published to " + pub.sync().publish("orders", "dropped"));
            seen.add("published to " + pub.sync().publish("alerts", "a2"));
            for (int i = 0; i < 4; i++) {
                seen.add(received.poll(5, TimeUnit.SECONDS));
            }
            sub.sync().unsubscribe();
            sub.sync().punsubscribe();
            seen.add("published to " + pub.sync().publish("alerts", "nobody"));
            seen.add("ping " + sub.sync().ping());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        return seen;
    }

    @Test
    void lettucePushListenerSeesTrackingInvalidations() throws Exception {
        BlockingQueue<PushMessage> pushes = new ArrayBlockingQueue<>(100);
        try (StatefulRedisConnection<String, String> reader = connect(ProtocolVersion.RESP3);
             StatefulRedisConnection<String, String> writer = connect(ProtocolVersion.RESP3)) {
            reader.addListener(pushes::add);
            reader.sync().clientTracking(TrackingArgs.Builder.enabled());
            writer.sync().set("cached", "v1");
            assertThat(reader.sync().get("cached")).isEqualTo("v1");
            writer.sync().set("cached", "v2");
            PushMessage push = pushes.poll(5, TimeUnit.SECONDS);
            assertThat(push).isNotNull();
            assertThat(push.getType()).isEqualTo("invalidate");
            List<Object> content = push.getContent();
            @SuppressWarnings("unchecked")
            List<ByteBuffer> keys = (List<ByteBuffer>) content.get(1);
            assertThat(StandardCharsets.UTF_8.decode(keys.get(0)).toString()).isEqualTo("cached");
            assertThat(reader.sync().get("cached")).isEqualTo("v2");
        }
    }

    @ParameterizedTest
    @EnumSource(RedisProtocol.class)
    void jedisMixedFlow(RedisProtocol protocol) throws Exception {
        HostAndPort sidecar = new HostAndPort(fx.host(), fx.sidecarPort());
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder().protocol(protocol)
                .clientName("jedis-app").socketTimeoutMillis(10_000).build();
        try (Jedis jedis = new Jedis(sidecar, config); Jedis other = new Jedis(sidecar, config)) {
            assertThat(jedis.set("k", "v")).isEqualTo("OK");
            assertThat(jedis.get("k")).isEqualTo("v");
            assertThat(jedis.clientGetname()).isEqualTo("jedis-app");
            assertThat(jedis.hset("h", Map.of("f", "1"))).isEqualTo(1);
            assertThat(jedis.hincrBy("h", "f", 2)).isEqualTo(3);
            assertThat(jedis.zadd("z", 3.0, "m")).isEqualTo(1);
            assertThat(jedis.zscore("z", "m")).isEqualTo(3.0);
            assertThat(jedis.lpush("l", "a", "b")).isEqualTo(2);
            assertThat(jedis.lrange("l", 0, -1)).containsExactly("b", "a");

            Pipeline p = jedis.pipelined();
            List<Response<Long>> counts = new ArrayList<>();
            List<Response<String>> values = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                p.set("jp" + i, "v" + i);
                counts.add(p.incr("jcounter"));
                values.add(p.get("jp" + i));
            }
            p.sync();
            for (int i = 0; i < 2000; i++) {
                assertThat(counts.get(i).get()).isEqualTo(i + 1L);
                assertThat(values.get(i).get()).isEqualTo("v" + i);
            }

            Transaction t = jedis.multi();
            t.set("tx", "1");
            t.incrBy("tx", 9);
            assertThat(t.exec()).containsExactly("OK", 10L);
            jedis.watch("tx");
            other.set("tx", "other");
            Transaction conflicted = jedis.multi();
            conflicted.incr("tx");
            assertThat(conflicted.exec()).isNull();

            BlockingQueue<String> received = new ArrayBlockingQueue<>(10);
            JedisPubSub listener = new JedisPubSub() {
                @Override
                public void onMessage(String channel, String message) {
                    received.add(channel + "=" + message);
                    if (message.equals("last")) {
                        unsubscribe();
                    }
                }
            };
            Thread subscriber = new Thread(() -> other.subscribe(listener, "jchan"));
            subscriber.start();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (jedis.publish("jchan", "first") == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            jedis.publish("jchan", "last");
            subscriber.join(5000);
            assertThat(subscriber.isAlive()).isFalse();
            assertThat(received).containsExactly("jchan=first", "jchan=last");
            assertThat(other.ping()).isEqualTo("PONG");
            assertThat(jedis.blpop(1, "jqueue-empty")).isNull();
        }
    }
}
