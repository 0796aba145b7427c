package io.valkeysidecar.proxy.upstream;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.valkeysidecar.resp.ReplyFrameDecoder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * Opens upstream connections to Valkey on the caller's event loop (so a session and its upstream never
 * cross threads), guarded by a resilience4j circuit breaker used without blocking: permission is asked
 * before connecting and the outcome reported from the connect listener. While the breaker is open, clients
 * get an immediate error instead of waiting for connect timeouts.
 */
public final class UpstreamConnector {

    private final InetSocketAddress address;
    private final Class<? extends Channel> channelType;
    private final int connectTimeoutMillis;
    private final CircuitBreaker breaker;

    public UpstreamConnector(InetSocketAddress address, Class<? extends Channel> channelType, int connectTimeoutMillis,
                             CircuitBreaker breaker) {
        this.address = address;
        this.channelType = channelType;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.breaker = breaker;
    }

    public InetSocketAddress address() {
        return address;
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /**
     * Connects with {@code handler} at the pipeline's end, receiving the channel's events and, from a
     * {@link ReplyFrameDecoder} before it, Valkey's reply frames; null when the breaker refuses. The returned
     * future's outcome is already reported to the breaker.
     */
    public <H extends ChannelHandler & ReplyFrameDecoder.FrameHandler> ChannelFuture connect(EventLoop loop,
                                                                                        H handler) {
        if (!breaker.tryAcquirePermission()) {
            return null;
        }
        long start = System.nanoTime();
        ChannelFuture f = new Bootstrap()
                .group(loop)
                .channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ReplyFrameDecoder(handler), handler);
                    }
                })
                .connect(address);
        f.addListener((ChannelFutureListener) done -> {
            long elapsed = System.nanoTime() - start;
            if (done.isSuccess()) {
                breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
            } else {
                breaker.onError(elapsed, TimeUnit.NANOSECONDS, done.cause());
            }
        });
        return f;
    }
}
