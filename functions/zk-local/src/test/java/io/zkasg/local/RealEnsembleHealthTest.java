package io.zkasg.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.aws.SocketZkProbe;
import io.zkasg.core.HealthSettings;
import io.zkasg.core.Settings;
import io.zkasg.flows.CloudDriver;
import io.zkasg.flows.Functions;
import io.zkasg.lambda.Wiring;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeZk;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health function with the real probe against a real three-server ZooKeeper 3.9 ensemble (child JVMs listening
 * on 127.0.0.1, .2 and .3; the slots' static IPs point there), on the fake cloud. A server is frozen with SIGSTOP,
 * as when its host stalls: the kernel still accepts connections, nobody answers. Replacement and rejoin are the fake
 * cloud's (the end-to-end cloud with namespaces will run them for real).
 */
class RealEnsembleHealthTest {

    private static final List<String> IPS = List.of("127.0.0.1", "127.0.0.2", "127.0.0.3");
    private static final List<String> AZS = List.of("us-east-1a", "us-east-1b", "us-east-1c");
    private static final List<String> INSTANCES = List.of("i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2",
            "i-0ccccccccccccccc3");

    @TempDir
    Path dir;

    private final List<Process> servers = new ArrayList<>();
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private int runs;

    @AfterEach
    void stopServers() {
        for (var server : servers) {
            signal(server, "CONT");
            server.destroyForcibly();
        }
    }

    @Test
    void frozenServer_shouldBeMarkedAfterThreeChecks_butNotASecondOneWhileTheFirstIsBeingReplaced() throws Exception {
        // GIVEN a serving ensemble and the cluster's slots pointing at it
        int client = freePort();
        int quorum = freePort();
        int election = freePort();
        for (int i = 1; i <= 3; i++) {
            servers.add(startServer(i, client, quorum, election));
        }
        var probe = new SocketZkProbe();
        waitUntil(Duration.ofSeconds(90), () -> IPS.stream()
                .allMatch(ip -> probe.probe(ip, client, Duration.ofSeconds(1)).serving()));
        var env = new HashMap<>(CloudDriver.DEMO_ENV);
        env.put("ZK_CLIENT_PORT", Integer.toString(client));
        env.put("ZK_QUORUM_PORT", Integer.toString(quorum));
        env.put("ZK_ELECTION_PORT", Integer.toString(election));
        var settings = Settings.fromEnv(env);
        var clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
        var cloud = new FakeCloud(clock).group(settings.groupName(), settings.launchHookName(),
                settings.terminateHookName(), settings.heartbeatTimeout());
        for (int i = 0; i < 3; i++) {
            cloud.addSlot(settings.cluster().clusterTagKey(), settings.cluster().clusterName(),
                    settings.nodeIdTagKey(), i + 1, AZS.get(i), IPS.get(i));
        }
        // Real pauses between the attempts of one check: the retry must meet the server's real state.
        var lease = new io.zkasg.testkit.FakeStopLease(clock);
        var wiring = Wiring.over(settings, new Wiring.Ports(cloud.ec2(), cloud.autoScaling(),
                cloud.ssm(), cloud.resumeQueue(), probe, lease), clock,
                        d -> sleep(d.toMillis()), new SplittableRandom(3), CloudDriver.testBundle(),
                        new PrintStream(log, true, StandardCharsets.UTF_8))
                .withHealth(probe, new HealthSettings(3, Duration.ofMillis(1000), 2, Duration.ofMillis(1000)));
        var functions = new Functions(wiring);
        // The driver only delivers the launches' events here; the functions probe the real servers.
        var driver = new CloudDriver(clock, cloud, new FakeZk(), lease, settings, functions);
        for (int i = 0; i < 3; i++) {
            cloud.launch(INSTANCES.get(i), AZS.get(i));
        }
        driver.runUntilQuiet(Duration.ofMinutes(5));
        assertThat(check(functions)).containsEntry("serving", 3).containsEntry("leaders", 1)
                .containsEntry("markedUnhealthy", "").containsEntry("problems", List.of());
        for (int i = 0; i < 3; i++) {
            assertThat(probe.serverId(IPS.get(i), client, Duration.ofSeconds(1))).as("myid of " + IPS.get(i))
                    .hasValue(i + 1);
        }

        // WHEN a follower stalls for a moment during one check (its first attempt times out, the retry is answered)
        int follower = followerIndex(probe, client);
        var scheduler = Executors.newSingleThreadScheduledExecutor();
        try {
            signal(servers.get(follower), "STOP");
            scheduler.schedule(() -> signal(servers.get(follower), "CONT"), 1300, TimeUnit.MILLISECONDS);
            long start = System.nanoTime();
            var slow = check(functions);
            long tookMs = (System.nanoTime() - start) / 1_000_000;

            // THEN it is not counted (and the check did wait for it: a first attempt timed out)
            assertThat(tookMs).isGreaterThanOrEqualTo(1000);
            assertThat(slow).containsEntry("serving", 3);
            assertThat(cloud.instanceTags(INSTANCES.get(follower))).doesNotContainKey("zkasg:health-failures");
        } finally {
            scheduler.shutdownNow();
        }

        // WHEN it freezes for good
        signal(servers.get(follower), "STOP");
        check(functions);
        check(functions);
        assertThat(cloud.markedUnhealthy()).isEmpty();
        var third = check(functions);

        // THEN the third failed check marks it, and Auto Scaling starts replacing it
        assertThat(third).containsEntry("markedUnhealthy", INSTANCES.get(follower));
        assertThat(cloud.lifecycleState(INSTANCES.get(follower))).isEqualTo("Terminating:Wait");

        // WHEN a second server freezes while the first is still being replaced (the ensemble has lost quorum)
        int second = (follower + 1) % 3;
        signal(servers.get(second), "STOP");
        for (int i = 0; i < 4; i++) {
            check(functions);
        }

        // THEN nothing more is marked
        assertThat(cloud.markedUnhealthy()).containsExactly(INSTANCES.get(follower));
        assertThat(log.toString(StandardCharsets.UTF_8)).contains("\"step\":\"replace-deferred\"")
                .contains("\"problem\":\"below-quorum\"");
    }

    private Map<String, Object> check(Functions functions) {
        runs++;
        var event = "{\"id\":\"real-" + runs + "\",\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\","
                + "\"time\":\"2026-11-25T12:30:00Z\",\"detail\":{}}";
        return functions.health(event.getBytes(StandardCharsets.UTF_8));
    }

    private static int followerIndex(SocketZkProbe probe, int client) {
        for (int i = 0; i < 3; i++) {
            if ("follower".equals(probe.probe(IPS.get(i), client, Duration.ofSeconds(1)).mode())) {
                return i;
            }
        }
        throw new AssertionError("no follower");
    }

    private Process startServer(int id, int client, int quorum, int election) throws IOException {
        var data = Files.createDirectories(dir.resolve("zk" + id));
        Files.writeString(data.resolve("myid"), id + "\n");
        var config = new StringBuilder()
                .append("tickTime=200\ninitLimit=50\nsyncLimit=10\n")
                .append("dataDir=").append(data).append('\n')
                .append("clientPort=").append(client).append('\n')
                .append("clientPortAddress=").append(IPS.get(id - 1)).append('\n')
                .append("4lw.commands.whitelist=ruok,srvr,mntr,conf\n")
                .append("admin.enableServer=false\n");
        for (int i = 1; i <= 3; i++) {
            config.append("server.").append(i).append('=').append(IPS.get(i - 1)).append(':').append(quorum)
                    .append(':').append(election).append('\n');
        }
        var cfg = data.resolve("zoo.cfg");
        Files.writeString(cfg, config);
        var classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        var java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", classPath,
                "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.toString())
                .redirectErrorStream(true)
                .redirectOutput(data.resolve("server.log").toFile())
                .start();
    }

    private static void signal(Process process, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start().waitFor();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A port free on all three loopback addresses (each server binds its own address). */
    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port;
            try (var socket = new ServerSocket(0, 1, InetAddress.getByName(IPS.get(0)))) {
                port = socket.getLocalPort();
            }
            if (IPS.stream().allMatch(ip -> free(ip, port))) {
                return port;
            }
        }
        throw new IllegalStateException("no free port on 127.0.0.1-3");
    }

    private static boolean free(String ip, int port) {
        try (var socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(ip), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void waitUntil(Duration limit, java.util.function.BooleanSupplier condition) {
        var deadline = System.nanoTime() + limit.toNanos();
        // The servers elect a leader after their JVMs start (seconds on a busy machine): poll, bounded.
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("ensemble not serving after " + limit);
            }
            sleep(200);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
