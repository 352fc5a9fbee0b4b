package io.zkasg.local.e2e;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The scenario's ZooKeeper client, a separate JVM started inside the client network namespace (so its traffic
 * stays in the run's namespaces). It keeps one session on the fixed connect string and answers line commands on
 * stdin with one line on stdout starting with "R ":
 * <ul>
 * <li>{@code write N [NAME]}: creates N znodes of 1 KiB under /e2e/pre (or /e2e/NAME), synchronously</li>
 * <li>{@code bg start|stop}: a background writer creating znodes under /e2e/bg, one every 10 ms</li>
 * <li>{@code gap}: the longest time between two acknowledged background writes since the last {@code gap}</li>
 * <li>{@code lat}: the background writes acknowledged since the last {@code lat}, as start:latency pairs (epoch ms,
 * ms), the slowest of each 50 ms (for the pictures of the replacements)</li>
 * <li>{@code verify HOST:PORT}: on a new session to that one server, after a sync, every znode acknowledged so far
 * is read back</li>
 * <li>{@code count HOST:PORT PATH}: on a new session to that one server, after a sync, the number of children of
 * PATH ("count -1" when PATH does not exist there)</li>
 * </ul>
 */
public final class ZkClientMain {

    private static final byte[] DATA = "z".repeat(1024).getBytes(StandardCharsets.UTF_8);
    private static final int SESSION_MS = 10_000;

    private final String connect;
    private final ZooKeeper zk;
    private final ConcurrentSkipListSet<String> acked = new ConcurrentSkipListSet<>();
    private final AtomicBoolean bgRunning = new AtomicBoolean();
    private final AtomicLong lastAck = new AtomicLong();
    private final AtomicLong maxGap = new AtomicLong();
    private final AtomicInteger bgCount = new AtomicInteger();
    private final AtomicInteger expirations = new AtomicInteger();
    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> latencies =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private Thread bg;

    private ZkClientMain(String connect) throws Exception {
        this.connect = connect;
        this.zk = open(connect);
    }

    public static void main(String[] args) throws Exception {
        var client = new ZkClientMain(args[0]);
        var in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String reply;
            try {
                reply = client.handle(line.trim().split("\\s+"));
            } catch (Exception e) {
                reply = "error " + e;
            }
            System.out.println("R " + reply);
            System.out.flush();
            if (line.trim().equals("quit")) {
                break;
            }
        }
        System.exit(0);
    }

    private String handle(String[] cmd) throws Exception {
        switch (cmd[0]) {
            case "write": {
                ensure("/e2e");
                ensure("/e2e/pre");
                ensure("/e2e/bg");
                int n = Integer.parseInt(cmd[1]);
                var parent = cmd.length > 2 ? "/e2e/" + cmd[2] : "/e2e/pre";
                ensure(parent);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    create(String.format("%s/n%06d", parent, i));
                }
                return "written " + n + " " + (System.nanoTime() - start) / 1_000_000;
            }
            case "bg":
                if (cmd[1].equals("start")) {
                    lastAck.set(System.nanoTime());
                    bgRunning.set(true);
                    bg = new Thread(this::backgroundWrites, "bg-writer");
                    bg.setDaemon(true);
                    bg.start();
                    return "bg started";
                }
                bgRunning.set(false);
                bg.join(30_000);
                return "bg stopped " + bgCount.get();
            case "gap": {
                // A stall still going on counts too (the writer only records a gap when a write gets through).
                long ongoing = bgRunning.get() ? System.nanoTime() - lastAck.get() : 0;
                long gap = Math.max(maxGap.getAndSet(0), ongoing);
                return "gap " + gap / 1_000_000 + " " + bgCount.get() + " " + expirations.get();
            }
            case "lat":
                return "lat " + drainLatencies();
            case "connect":
                return "connect " + connect;
            case "verify":
                return verify(cmd[1]);
            case "count":
                return count(cmd[1], cmd[2]);
            case "quit":
                return "bye";
            default:
                return "error unknown command " + cmd[0];
        }
    }

    private void backgroundWrites() {
        int i = 0;
        while (bgRunning.get()) {
            try {
                long startedMs = System.currentTimeMillis();
                long startedNs = System.nanoTime();
                create(String.format("/e2e/bg/b%07d", i++));
                bgCount.incrementAndGet();
                long now = System.nanoTime();
                latencies.add(new long[] {startedMs, (now - startedNs) / 1_000_000});
                long previous = lastAck.getAndSet(now);
                maxGap.accumulateAndGet(now - previous, Math::max);
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // create() retries everything but interruption
            }
        }
    }

    /** The acknowledged writes since the last call, the slowest one per 50 ms, as "start:latency,..." (ms). */
    private String drainLatencies() {
        var out = new StringBuilder();
        long bucket = -1;
        long[] worst = null;
        long[] w;
        while ((w = latencies.poll()) != null) {
            if (w[0] / 50 != bucket) {
                if (worst != null) {
                    out.append(out.isEmpty() ? "" : ",").append(worst[0]).append(':').append(worst[1]);
                }
                bucket = w[0] / 50;
                worst = w;
            } else if (w[1] > worst[1]) {
                worst = w;
            }
        }
        if (worst != null) {
            out.append(out.isEmpty() ? "" : ",").append(worst[0]).append(':').append(worst[1]);
        }
        return out.isEmpty() ? "-" : out.toString();
    }

    /** Creates a znode, retrying through connection loss; an existing node counts (an earlier try got through). */
    private void create(String path) throws InterruptedException {
        createOnce(path, DATA);
        acked.add(path);
    }

    private void createOnce(String path, byte[] data) throws InterruptedException {
        while (true) {
            try {
                zk.create(path, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                return;
            } catch (KeeperException.NodeExistsException e) {
                return;
            } catch (KeeperException.SessionExpiredException e) {
                expirations.incrementAndGet();
                throw new IllegalStateException("session expired: the client lost the ensemble", e);
            } catch (KeeperException e) {
                Thread.sleep(50);
            }
        }
    }

    private void ensure(String path) throws InterruptedException {
        createOnce(path, new byte[0]);
    }

    /** Reads back, from one server only, every znode acknowledged before the call. */
    private String verify(String server) throws Exception {
        var expected = new ArrayList<>(acked);
        var one = open(server);
        try {
            var synced = new CountDownLatch(1);
            one.sync("/e2e", (rc, path, ctx) -> synced.countDown(), null);
            synced.await(20, TimeUnit.SECONDS);
            var read = new AtomicInteger();
            var missing = new ConcurrentSkipListSet<String>();
            var done = new CountDownLatch(expected.size());
            for (var path : expected) {
                one.getData(path, false, (rc, p, ctx, data, stat) -> {
                    if (rc == 0 && data != null && data.length == DATA.length) {
                        read.incrementAndGet();
                    } else {
                        missing.add(p);
                    }
                    done.countDown();
                }, null);
            }
            done.await(60, TimeUnit.SECONDS);
            List<String> someMissing = missing.stream().limit(3).toList();
            return "verify " + server + " expected=" + expected.size() + " read=" + read.get() + " missing="
                    + (expected.size() - read.get()) + " " + someMissing;
        } finally {
            one.close();
        }
    }

    /** The children of {@code path} as one server has them, after a sync (a new session: not this client's zxid). */
    private static String count(String server, String path) throws Exception {
        var one = open(server);
        try {
            var synced = new CountDownLatch(1);
            one.sync("/", (rc, p, ctx) -> synced.countDown(), null);
            synced.await(20, TimeUnit.SECONDS);
            try {
                return "count " + one.getChildren(path, false).size();
            } catch (KeeperException.NoNodeException e) {
                return "count -1";
            }
        } finally {
            one.close();
        }
    }

    private static ZooKeeper open(String connect) throws Exception {
        var connected = new CountDownLatch(1);
        var zk = new ZooKeeper(connect, SESSION_MS, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(30, TimeUnit.SECONDS)) {
            zk.close();
            throw new IllegalStateException("no connection to " + connect + " within 30 s");
        }
        return zk;
    }
}
