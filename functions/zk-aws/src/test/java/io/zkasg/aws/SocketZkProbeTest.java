package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.model.ServerFigures;
import io.zkasg.core.model.ServerHealth;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.command.FourLetterCommands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe against a real ZooKeeper 3.9 server (standalone, in this JVM) and against sockets that misbehave. */
class SocketZkProbeTest {

    private static final String WHITELIST = "zookeeper.4lw.commands.whitelist";
    private static final Duration TIMEOUT = Duration.ofMillis(1500);

    @TempDir
    Path dataDir;

    private final SocketZkProbe probe = new SocketZkProbe();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (var c : open) {
            c.close();
        }
        System.clearProperty(WHITELIST);
        FourLetterCommands.resetWhiteList();
    }

    private int startZooKeeper(String whitelist) throws Exception {
        System.setProperty(WHITELIST, whitelist);
        FourLetterCommands.resetWhiteList();
        var server = new ZooKeeperServer(dataDir.toFile(), dataDir.toFile(), 2000);
        var factory = ServerCnxnFactory.createFactory(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        factory.startup(server);
        open.add(() -> {
            factory.shutdown();
            server.shutdown();
        });
        return factory.getLocalPort();
    }

    @Test
    void probe_shouldReportImokAndStandaloneButNotServing_whenServerIsStandalone() throws Exception {
        // GIVEN
        int port = startZooKeeper("ruok, srvr, mntr");

        // WHEN
        ServerHealth health = probe.probe("127.0.0.1", port, TIMEOUT);

        // THEN: a standalone server is alive but is no member of a quorum
        assertThat(health.imok()).isTrue();
        assertThat(health.mode()).isEqualTo("standalone");
        assertThat(health.zxid()).isGreaterThanOrEqualTo(0);
        assertThat(health.error()).isEmpty();
        assertThat(health.serving()).isFalse();
    }

    @Test
    void figures_shouldParseMntr_whenServerAnswers() throws Exception {
        // GIVEN
        int port = startZooKeeper("ruok, srvr, mntr");

        // WHEN
        ServerFigures figures = probe.figures("127.0.0.1", port, TIMEOUT);

        // THEN: a fresh server has at least / and /zookeeper(/config, /quota)
        assertThat(figures.serverState()).isEqualTo("standalone");
        assertThat(figures.znodeCount()).isGreaterThanOrEqualTo(2);
        assertThat(figures.outstandingRequests()).isZero();
        assertThat(figures.avgLatencyMs()).isGreaterThanOrEqualTo(0);
        assertThat(figures.followers()).as("only a leader reports followers").isEqualTo(-1);
    }

    @Test
    void serverId_shouldReadConf_whenAllowed_andBeEmptyOtherwise() throws Exception {
        // GIVEN: a standalone server has id 0
        int port = startZooKeeper("ruok, srvr, conf");

        // WHEN / THEN
        assertThat(probe.serverId("127.0.0.1", port, TIMEOUT)).hasValue(0);
        System.setProperty(WHITELIST, "ruok");
        FourLetterCommands.resetWhiteList();
        assertThat(probe.serverId("127.0.0.1", port, TIMEOUT)).isEmpty();
    }

    @Test
    void figures_shouldBeNone_whenMntrIsNotWhitelisted() throws Exception {
        // GIVEN: ZooKeeper always allows srvr; mntr must be whitelisted
        int port = startZooKeeper("ruok");

        // WHEN
        ServerHealth health = probe.probe("127.0.0.1", port, TIMEOUT);
        ServerFigures figures = probe.figures("127.0.0.1", port, TIMEOUT);
        var answer = SocketZkProbe.ask("127.0.0.1", port, "mntr", TIMEOUT);

        // THEN: the check itself does not depend on mntr
        assertThat(health.imok()).isTrue();
        assertThat(health.mode()).isEqualTo("standalone");
        assertThat(answer.text()).contains("not in the whitelist");
        assertThat(figures).isEqualTo(ServerFigures.none("127.0.0.1"));
    }

    @Test
    void probe_shouldReportNotImok_whenRuokIsNotAllowed() throws Exception {
        // GIVEN
        int port = startZooKeeper("srvr");

        // WHEN
        ServerHealth health = probe.probe("127.0.0.1", port, TIMEOUT);

        // THEN
        assertThat(health.imok()).isFalse();
        assertThat(health.error()).contains("ruok").contains("whitelist");
    }

    @Test
    void probe_shouldReportRefused_whenNothingListens() throws Exception {
        // GIVEN: a port that was free a moment ago
        int port;
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }

        // WHEN
        ServerHealth health = probe.probe("127.0.0.1", port, TIMEOUT);

        // THEN
        assertThat(health.imok()).isFalse();
        assertThat(health.serving()).isFalse();
        assertThat(health.error()).contains("refused");
    }

    @Test
    void probe_shouldTimeOutWithinBound_whenServerAcceptsButNeverAnswers() throws Exception {
        // GIVEN: a frozen process still has its listening socket: the kernel accepts, nobody answers
        var silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        var accepted = new ArrayList<Socket>();
        var acceptor = new Thread(() -> {
            try {
                while (true) {
                    accepted.add(silent.accept());
                }
            } catch (IOException e) {
                // closed by the test
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        open.add(silent);

        // WHEN
        long start = System.nanoTime();
        ServerHealth health = probe.probe("127.0.0.1", silent.getLocalPort(), Duration.ofMillis(300));
        long tookMs = (System.nanoTime() - start) / 1_000_000;

        // THEN
        assertThat(health.imok()).isFalse();
        assertThat(health.error()).contains("timed out");
        assertThat(tookMs).isBetween(250L, 2_000L);
    }

    @Test
    void probe_shouldReportAStall_notKnownDown_whenImokIsFollowedBySilence() throws Exception {
        // GIVEN a server that answers ruok, then pauses (a long GC pause) before srvr: the kernel accepts, no answer
        var server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        open.add(server);
        var held = new ArrayList<Socket>();
        var acceptor = new Thread(() -> {
            try {
                var first = server.accept();
                first.getInputStream().readNBytes(4);
                first.getOutputStream().write("imok".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                first.close();
                while (true) {
                    held.add(server.accept());
                }
            } catch (IOException e) {
                // closed by the test
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();

        // WHEN
        ServerHealth health = probe.probe("127.0.0.1", server.getLocalPort(), Duration.ofMillis(300));

        // THEN it is not serving as far as anyone knows, but not known down either (issue 15, item 4)
        assertThat(health.imok()).isTrue();
        assertThat(health.serving()).isFalse();
        assertThat(health.isStalled()).isTrue();
        assertThat(health.knownNotServing()).isFalse();
        assertThat(health.error()).contains("srvr").contains("timed out");
    }

    @Test
    void membership_shouldReadTheDynamicConfiguration_fromConf() throws Exception {
        // GIVEN a server answering conf as a Debian ZooKeeper 3.8.0 member with reconfigEnabled does (captured from a
        // real one on 127.0.0.1: docs/sizing.md), three participants and an observer syncing before its add
        var conf = """
                clientPort=2181
                serverId=2
                peerType=0
                membership:\s
                server.1=10.0.1.10:2888:3888:participant;0.0.0.0:2181
                server.2=10.0.2.10:2888:3888:participant;0.0.0.0:2181
                server.3=10.0.3.10:2888:3888:participant;0.0.0.0:2181
                server.4=10.0.1.11:2888:3888:observer;0.0.0.0:2181
                version=20000002a""";
        var server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        open.add(server);
        var words = new ArrayList<String>();
        var acceptor = new Thread(() -> {
            try (var client = server.accept()) {
                words.add(new String(client.getInputStream().readNBytes(4), StandardCharsets.US_ASCII));
                client.getOutputStream().write(conf.getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // closed by the test
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();

        // WHEN
        var membership = probe.membership("127.0.0.1", server.getLocalPort(), TIMEOUT).orElseThrow();

        // THEN
        assertThat(words).containsExactly("conf");
        assertThat(membership.voters()).containsExactly(1, 2, 3);
        assertThat(membership.servers()).containsKey(4);
        assertThat(membership.versionHex()).isEqualTo("20000002a");
        assertThat(membership.serverId()).isEqualTo(2);
    }

    @Test
    void membership_shouldBeEmpty_forAStandaloneServer_orWithoutConf() throws Exception {
        // GIVEN a standalone server (no dynamic configuration), then one that does not allow conf, then none
        int port = startZooKeeper("ruok, srvr, conf");
        assertThat(probe.membership("127.0.0.1", port, TIMEOUT)).isEmpty();
        System.setProperty(WHITELIST, "ruok");
        FourLetterCommands.resetWhiteList();
        assertThat(probe.membership("127.0.0.1", port, TIMEOUT)).isEmpty();
        try (var closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = closed.getLocalPort();
        }
        assertThat(probe.membership("127.0.0.1", port, TIMEOUT)).isEmpty();
    }

    @Test
    void fields_shouldParseSrvrAndMntrLines() {
        assertThat(SocketZkProbe.fields("Zxid: 0x10000002a\nMode: leader\n", ':'))
                .containsEntry("Mode", "leader").containsEntry("Zxid", "0x10000002a");
        assertThat(SocketZkProbe.zxid("0x10000002a")).isEqualTo(0x10000002aL);
        assertThat(SocketZkProbe.zxid("garbage")).isEqualTo(-1);
        assertThat(SocketZkProbe.fields("zk_followers\t2\nzk_synced_followers\t1\n", '\t'))
                .containsEntry("zk_followers", "2").containsEntry("zk_synced_followers", "1");
    }
}
