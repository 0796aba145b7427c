package io.valkeysidecar.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Turns Netty's leak reports into test failures: {@code @ExtendWith(LeakCheck.class)} runs the detector at
 * paranoid level, and after each test collects garbage, lets the detector drain its queue and fails the test
 * when any buffer was garbage-collected without being released.
 *
 * <p>Only pooled buffers are tracked (unpooled heap buffers and {@code Unpooled.wrappedBuffer} are not): tests
 * feed their input through {@link #buffer(byte[])}.
 */
public final class LeakCheck implements BeforeAllCallback, AfterEachCallback {

    private static final List<String> LEAKS = new ArrayList<>();
    private static boolean installed;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        install();
    }

    private static synchronized void install() throws ReflectiveOperationException {
        if (installed) {
            return;
        }
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        // Every buffer stays tracked, but only retain/release calls record a stack trace (not every read),
        // which keeps byte-by-byte tests fast. Read when Netty's leak-aware buffer class loads.
        System.setProperty("io.netty.leakDetection.acquireAndReleaseOnly", "true");
        // The detector every allocator-made buffer reports to; Netty exposes no accessor for it.
        Field field = AbstractByteBuf.class.getDeclaredField("leakDetector");
        field.setAccessible(true);
        ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) field.get(null);
        detector.setLeakListener((type, records) -> {
            synchronized (LEAKS) {
                LEAKS.add(type + " leaked:" + records);
            }
        });
        installed = true;
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(10);
            // Tracking a new buffer makes the detector report the unreleased buffers the GC found.
            PooledByteBufAllocator.DEFAULT.heapBuffer(1).release();
        }
        List<String> found;
        synchronized (LEAKS) {
            found = new ArrayList<>(LEAKS);
            LEAKS.clear();
        }
        assertThat(found).as("buffers garbage-collected without release").isEmpty();
    }

    /** A leak-tracked buffer holding {@code bytes}, with room to grow (as a socket read buffer has). */
    public static ByteBuf buffer(byte[] bytes) {
        return PooledByteBufAllocator.DEFAULT.heapBuffer(Math.max(1, bytes.length)).writeBytes(bytes);
    }
}
