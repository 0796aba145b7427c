package io.valkeysidecar.proxy;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.lettuce.core.RedisURI;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.buffer.PooledByteBufAllocator;
import io.valkeysidecar.command.CommandTable;
import io.valkeysidecar.extension.CommandDescriptor;
import io.valkeysidecar.extension.CommandInterceptor;
import io.valkeysidecar.extension.InfoSection;
import io.valkeysidecar.extension.SidecarCommand;
import io.valkeysidecar.extension.SidecarExtension;
import io.valkeysidecar.extension.SidecarRuntime;
import io.valkeysidecar.proxy.info.CommandTableRewriter;
import io.valkeysidecar.proxy.info.InfoRewriter;
import io.valkeysidecar.proxy.info.SidecarInfoSection;
import io.valkeysidecar.proxy.metrics.MetricsHttpServer;
import io.valkeysidecar.proxy.metrics.SidecarMetrics;
import io.valkeysidecar.proxy.session.ClientSession;
import io.valkeysidecar.proxy.session.CommandRouter;
import io.valkeysidecar.proxy.session.SessionServices;
import io.valkeysidecar.proxy.upstream.CommandTableLoader;
import io.valkeysidecar.proxy.upstream.UpstreamConnector;
import io.valkeysidecar.proxy.upstream.UpstreamProbe;
import io.valkeysidecar.resp.RequestDecoder;
import io.valkeysidecar.valkey.ValkeyProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running sidecar: a Netty RESP server in front of Valkey (supervising a local valkey-server when no
 * upstream is given), with the extensions found on the class path plugged in.
 */
public final class SidecarServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SidecarServer.class);

    private final SidecarConfig config;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<String> localCommandNames = new CopyOnWriteArrayList<>();
    private List<CommandDescriptor> sidecarCommands = List.of();
    private ValkeyProcess supervisedValkey;
    private EventLoopGroup bossGroup;
    private EventLoopGroup workerGroup;
    private Channel serverChannel;
    private CommandTableLoader commandTable;
    private UpstreamConnector connector;
    private SessionServices services;
    private SidecarMetrics metrics;
    private MetricsHttpServer metricsServer;

    private SidecarServer(SidecarConfig config) {
        this.config = config;
    }

    /** Starts everything and returns once the RESP port accepts connections. */
    public static SidecarServer start(SidecarConfig config) throws Exception {
        SidecarServer server = new SidecarServer(config);
        try {
            server.startAll();
            return server;
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
    }

    private void startAll() throws Exception {
        long startedAt = System.currentTimeMillis();
        InetSocketAddress upstream = config.upstream();
        if (upstream == null) {
            Path valkeyDir = config.dataDir().resolve("valkey");
            Path pidFile = valkeyDir.resolve("valkey.pid").toAbsolutePath();
            ValkeyProcess.stopLeftover(pidFile, Duration.ofSeconds(30));
            supervisedValkey = ValkeyProcess.start(config.valkeyBinary(), valkeyDir, List.of("--appendonly", "yes",
                    "--maxmemory-policy", "noeviction", "--pidfile", pidFile.toString()), Duration.ofSeconds(30));
            upstream = new InetSocketAddress(supervisedValkey.host(), supervisedValkey.port());
        }
        boolean epoll = Epoll.isAvailable();
        bossGroup = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
        workerGroup = epoll ? new EpollEventLoopGroup(config.ioThreads()) : new NioEventLoopGroup(config.ioThreads());
        Class<? extends ServerChannel> serverType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        Class<? extends SocketChannel> clientType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        metrics = new SidecarMetrics(registry);
        CircuitBreaker breaker = CircuitBreaker.of("valkey-upstream", CircuitBreakerConfig.custom()
                .slidingWindowSize(20)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(2))
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .build());
        metrics.bindCircuitBreaker(breaker);
        metrics.bindNetty(PooledByteBufAllocator.DEFAULT, workerGroup);
        connector = new UpstreamConnector(upstream, clientType, (int) config.connectTimeout().toMillis(), breaker);

        RedisURI upstreamUri = RedisURI.builder().withHost(upstream.getHostString()).withPort(upstream.getPort())
                .withTimeout(Duration.ofSeconds(10)).build();
        if (config.upstreamPassword() != null) {
            if (config.upstreamUser() != null) {
                upstreamUri.setUsername(config.upstreamUser());
            }
            upstreamUri.setPassword(config.upstreamPassword().toCharArray());
        }
        ClientResources lettuceResources = DefaultClientResources.create();
        closeables.add(() -> lettuceResources.shutdown(0, 2, TimeUnit.SECONDS));
        closeables.add(metrics::close);
        commandTable = new CommandTableLoader(upstreamUri, lettuceResources, table -> metrics.knownCommands(
                Stream.concat(table.names().stream(), localCommandNames.stream()).toList()));
        closeables.add(commandTable);

        ExecutorService workers = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                daemonThreads("sidecar-worker"));
        closeables.add(workers::shutdownNow);
        SidecarRuntime runtime = new ExtensionRuntime(upstreamUri, lettuceResources, workers, registry);

        List<SidecarCommand> commands = new ArrayList<>();
        List<InfoSection> sections = new ArrayList<>();
        List<CommandInterceptor> interceptors = new ArrayList<>();
        InetSocketAddress upstreamAddress = upstream;
        sections.add(new SidecarInfoSection(startedAt, upstreamAddress, breaker, () -> services, commandTable));
        for (SidecarExtension ext : ServiceLoader.load(SidecarExtension.class)) {
            commands.addAll(ext.start(runtime));
            sections.addAll(ext.infoSections());
            interceptors.addAll(ext.interceptors());
            closeables.add(ext);
            log.info("extension {} started", ext.getClass().getSimpleName());
        }
        List<CommandDescriptor> descriptors = commands.stream().map(SidecarCommand::descriptor).toList();
        descriptors.forEach(d -> localCommandNames.add(d.name()));
        sidecarCommands = descriptors;
        commandTable.loadOrRetry();
        CommandRouter router = new CommandRouter(commands, interceptors, new InfoRewriter(sections), new CommandTableRewriter(descriptors));
        services = new SessionServices(router, connector, metrics, config.maxClients(), config.maxPendingReplies(),
                config.shareUpstream(), commandTable::table);

        ServerBootstrap b = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(serverType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new RequestDecoder(config.limits()), new ClientSession(services));
                    }
                });
        serverChannel = b.bind(config.bind(), config.port()).sync().channel();
        refuseSelfAsUpstream(upstream);
        if (config.metricsPort() > 0) {
            UpstreamProbe probe = new UpstreamProbe(upstream);
            closeables.add(probe);
            metricsServer = MetricsHttpServer.start(new InetSocketAddress(config.bind(), config.metricsPort()), registry,
                    probe::reachable, () -> commandTable.table().isLoaded());
        }
        log.info("valkey-sidecar {} listening on {} in front of Valkey at {}", Version.get(),
                serverChannel.localAddress(), upstream);
    }

    /** An upstream that is this sidecar's own port would send every request round in a loop until clients run out. */
    private void refuseSelfAsUpstream(InetSocketAddress upstream) throws IOException {
        InetSocketAddress bound = (InetSocketAddress) serverChannel.localAddress();
        if (upstream.getPort() != bound.getPort()) {
            return;
        }
        InetAddress target = InetAddress.getByName(upstream.getHostString());
        if (target.isLoopbackAddress() || target.equals(bound.getAddress()) || bound.getAddress().isAnyLocalAddress()
                && NetworkInterface.getByInetAddress(target) != null) {
            throw new IOException("--upstream " + upstream.getHostString() + ":" + upstream.getPort()
                    + " is this sidecar's own address");
        }
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public InetSocketAddress upstreamAddress() {
        return connector.address();
    }

    public int metricsPort() {
        return metricsServer == null ? 0 : metricsServer.port();
    }

    /** The commands the sidecar answers itself (from its extensions). */
    public List<CommandDescriptor> sidecarCommands() {
        return sidecarCommands;
    }

    public CommandTable commandTable() {
        return commandTable.table();
    }

    /** Blocks until the server channel closes. */
    public void awaitTermination() throws InterruptedException {
        serverChannel.closeFuture().sync();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (bossGroup != null) {
            bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (workerGroup != null) {
            workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                log.warn("error while closing", e);
            }
        }
        if (supervisedValkey != null) {
            supervisedValkey.close();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private final class ExtensionRuntime implements SidecarRuntime {
        private final RedisURI upstream;
        private final ClientResources resources;
        private final ExecutorService workers;
        private final MeterRegistry registry;

        ExtensionRuntime(RedisURI upstream, ClientResources resources, ExecutorService workers,
                MeterRegistry registry) {
            this.upstream = upstream;
            this.resources = resources;
            this.workers = workers;
            this.registry = registry;
        }

        @Override
        public RedisURI upstream() {
            return upstream;
        }

        @Override
        public ClientResources clientResources() {
            return resources;
        }

        @Override
        public CommandTable commandTable() {
            return commandTable.table();
        }

        @Override
        public Executor workers() {
            return workers;
        }

        @Override
        public MeterRegistry meterRegistry() {
            return registry;
        }

        @Override
        public Map<String, String> settings() {
            return config.extensionSettings();
        }

        @Override
        public Path dataDirectory() {
            return config.dataDir();
        }
    }
}
