package io.valkeysidecar.spill;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The child process of {@link KillNineTest}: a sidecar-like workload on a small keyspace until it is killed.
 * One client thread writes and deletes through the tier's proxy path and reports each operation before
 * ("BEGIN") and after ("ACK") Valkey answered; other threads spill and restore the same keys all the time.
 */
public final class CrashDriver {

    static final int KEYS = 64;

    private CrashDriver() {
    }

    public static void main(String[] args) throws Exception {
        RedisURI uri = RedisURI.create("127.0.0.1", Integer.parseInt(args[0]));
        long seed = Long.parseLong(args[2]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        SpillStore store = SpillStore.open(Path.of(args[1]), 0);
        SpillEngine engine = new SpillEngine(store, null, uri, 8L << 20);
        engine.recoverPending().toCompletableFuture().get(60, TimeUnit.SECONDS);
        for (int t = 0; t < 2; t++) {
            long s = seed * 31 + t;
            Thread mover = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(s);
                while (true) {
                    try {
                        if (rnd.nextBoolean()) {
                            List<byte[]> batch = new ArrayList<>();
                            for (int i = 0; i < 8; i++) {
                                batch.add(key(rnd.nextInt(KEYS)));
                            }
                            engine.spill(0, batch).get(30, TimeUnit.SECONDS);
                        } else {
                            engine.restore(0, key(rnd.nextInt(KEYS))).get(30, TimeUnit.SECONDS);
                        }
                    } catch (Exception e) {
                        out.println("ERROR " + e);
                    }
                }
            });
            mover.setDaemon(true);
            mover.start();
        }
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            RedisCommands<String, String> r = c.sync();
            SplittableRandom rnd = new SplittableRandom(seed);
            for (long n = 0; ; n++) {
                int k = rnd.nextInt(KEYS);
                List<byte[]> keys = List.of(key(k));
                if (rnd.nextInt(8) == 0) {
                    out.println("BEGIN DEL " + k);
                    engine.deleteSpilled(0, keys).toCompletableFuture().get(30, TimeUnit.SECONDS);
                    r.del("k" + k);
                } else {
                    String v = seed + ":" + n;
                    out.println("BEGIN SET " + k + " " + v);
                    engine.ensureResident(0, keys).toCompletableFuture().get(30, TimeUnit.SECONDS);
                    r.set("k" + k, v);
                }
                engine.release(0, keys);
                out.println("ACK");
            }
        }
    }

    static byte[] key(int k) {
        return ("k" + k).getBytes(StandardCharsets.UTF_8);
    }
}
