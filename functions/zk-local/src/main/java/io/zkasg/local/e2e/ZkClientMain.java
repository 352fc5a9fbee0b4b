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
 * <li>{@code bg start [K [RING]]|stop}: a background writer creating znodes under /e2e/bg, one every 10 ms; with
 * K > 1, K - 1 more writers, each on its own session (same connect string and timeout) under /e2e/bgK; with RING > 0,
 * each writer creates RING znodes and then overwrites them in turn (setData), so that its data stays bounded over a
 * long run (the soak) instead of growing by 1 KiB a write</li>
 * <li>{@code gap}: the longest time between two acknowledged background writes since the last {@code gap}, over
 * all writers, then the writes and session expirations so far, then each writer's own longest gap</li>
 * <li>{@code lat}: the background writes acknowledged since the last {@code lat}, as start:latency pairs (epoch ms,
 * ms), the slowest of each 50 ms (for the pictures of the replacements)</li>
 * <li>{@code verify HOST:PORT}: on a new session to that one server, after a sync, every znode acknowledged so far
 * is read back</li>
 * <li>{@code count}: background writes acknowledged so far, in all and per writer; {@code server}: the server the
 * session is on now, and the negotiated session timeout; {@code servers}: each writer's server</li>
 * <li>{@code probe HOST:PORT,...}: polls {@code srvr} on those servers every 10 ms until one is a serving leader;
 * {@code probed}: the epoch ms when one first was (-1: none yet), and stops the polling</li>
 * <li>{@code children HOST:PORT PATH}: on a new session to that one server, after a sync, the number of children of
 * PATH ("children -1" when PATH does not exist there)</li>
 * </ul>
 */
public final class ZkClientMain {

    private static final byte[] DATA = "z".repeat(1024).getBytes(StandardCharsets.UTF_8);
    /** The session timeout asked for; {@code -Dzkasg.sessionMs} (the leader-loss trials) overrides it. */
    private static final int SESSION_MS = Integer.getInteger("zkasg.sessionMs", 10_000);

    private final String connect;
    private final ZooKeeper zk;
    private final ConcurrentSkipListSet<String> acked = new ConcurrentSkipListSet<>();
    private final AtomicBoolean bgRunning = new AtomicBoolean();
    private final AtomicInteger expirations = new AtomicInteger();
    private final java.util.concurrent.ConcurrentLinkedQueue<long[]> latencies =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final List<Writer> writers = new ArrayList<>();
    private final AtomicLong probedAt = new AtomicLong(-1);
    private volatile Thread probe;

    /** One background writer: its session, its acknowledged writes and its longest gap. */
    private static final class Writer {
        final ZooKeeper zk;
        final String parent;
        final AtomicLong lastAck = new AtomicLong(System.nanoTime());
        final AtomicLong maxGap = new AtomicLong();
        final AtomicInteger count = new AtomicInteger();
        Thread thread;

        Writer(ZooKeeper zk, String parent) {
            this.zk = zk;
            this.parent = parent;
        }

        /** The longest gap since the last call, a stall still going on included. */
        long takeGap(boolean running) {
            long ongoing = running ? System.nanoTime() - lastAck.get() : 0;
            return Math.max(maxGap.getAndSet(0), ongoing);
        }
    }

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
                    int k = cmd.length > 2 ? Integer.parseInt(cmd[2]) : 1;
                    int ring = cmd.length > 3 ? Integer.parseInt(cmd[3]) : 0;
                    bgRunning.set(true);
                    for (int w = 0; w < k; w++) {
                        var writer = w == 0 ? new Writer(zk, "/e2e/bg") : new Writer(open(connect), "/e2e/bg" + w);
                        createOnce(writer.zk, writer.parent, new byte[0]);
                        writer.lastAck.set(System.nanoTime());
                        writer.thread = new Thread(() -> backgroundWrites(writer, ring), "bg-writer-" + w);
                        writer.thread.setDaemon(true);
                        writers.add(writer);
                    }
                    writers.forEach(w -> w.thread.start());
                    return "bg started " + k;
                }
                bgRunning.set(false);
                for (var w : writers) {
                    w.thread.join(30_000);
                }
                return "bg stopped " + bgCount();
            case "gap": {
                // A stall still going on counts too (the writer only records a gap when a write gets through).
                var each = new ArrayList<String>();
                long gap = 0;
                for (var w : writers) {
                    long g = w.takeGap(bgRunning.get()) / 1_000_000;
                    each.add(Long.toString(g));
                    gap = Math.max(gap, g);
                }
                return "gap " + gap + " " + bgCount() + " " + expirations.get() + " " + String.join(",", each);
            }
            case "lat":
                return "lat " + drainLatencies();
            case "connect":
                return "connect " + connect;
            case "count":
                return "count " + bgCount() + " " + String.join(",",
                        writers.stream().map(w -> Integer.toString(w.count.get())).toList());
            case "server":
                return "server " + serverOf(zk) + " " + zk.getSessionTimeout();
            case "servers":
                return "servers " + String.join(",", writers.stream().map(w -> serverOf(w.zk)).toList());
            case "probe":
                startProbe(cmd[1].split(","));
                return "probing";
            case "probed": {
                var t = probe;
                probe = null;
                if (t != null) {
                    t.join(1_000);
                }
                return "probed " + probedAt.get();
            }
            case "verify":
                return verify(cmd[1]);
            case "children":
                return children(cmd[1], cmd[2]);
            case "quit":
                return "bye";
            default:
                return "error unknown command " + cmd[0];
        }
    }

    private int bgCount() {
        return writers.stream().mapToInt(w -> w.count.get()).sum();
    }

    /** The server a session is connected to now ("none" between connections). */
    private static String serverOf(ZooKeeper session) {
        var m = java.util.regex.Pattern.compile("remoteserver:\\S*?/?([0-9.]+:\\d+)").matcher(session.toString());
        return m.find() ? m.group(1) : "none";
    }

    /**
     * Polls {@code srvr} on each address every 10 ms (100 ms to connect, 200 ms to answer) until one says it is
     * the leader and serves: from then a write can be committed, whatever a client's own reconnect logic does.
     */
    private void startProbe(String[] addresses) {
        probedAt.set(-1);
        var t = new Thread(() -> {
            while (probe == Thread.currentThread() && probedAt.get() < 0) {
                for (var a : addresses) {
                    var hp = a.split(":");
                    try (var s = new java.net.Socket()) {
                        s.connect(new java.net.InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 100);
                        s.setSoTimeout(200);
                        s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
                        var reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                        if (reply.contains("Mode: leader")) {
                            probedAt.compareAndSet(-1, System.currentTimeMillis());
                        }
                    } catch (java.io.IOException e) {
                        // not answering (yet)
                    }
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "probe");
        t.setDaemon(true);
        probe = t;
        t.start();
    }

    private void backgroundWrites(Writer w, int ring) {
        int i = 0;
        while (bgRunning.get()) {
            try {
                long startedMs = System.currentTimeMillis();
                long startedNs = System.nanoTime();
                var path = String.format("%s/b%07d", w.parent, ring > 0 ? i % ring : i);
                if (ring > 0 && i >= ring) {
                    setDataOnce(w.zk, path, DATA);
                } else {
                    createOnce(w.zk, path, DATA);
                }
                i++;
                if (w.zk == zk) {
                    acked.add(path);
                    long now = System.nanoTime();
                    latencies.add(new long[] {startedMs, (now - startedNs) / 1_000_000});
                }
                w.count.incrementAndGet();
                long now = System.nanoTime();
                long previous = w.lastAck.getAndSet(now);
                w.maxGap.accumulateAndGet(now - previous, Math::max);
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
        createOnce(zk, path, DATA);
        acked.add(path);
    }

    private void createOnce(ZooKeeper session, String path, byte[] data) throws InterruptedException {
        retrying(() -> {
            try {
                session.create(path, data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
                // an earlier try got through
            }
        });
    }

    /** Overwrites a znode, retrying through connection loss (an overwrite twice is the same write). */
    private void setDataOnce(ZooKeeper session, String path, byte[] data) throws InterruptedException {
        retrying(() -> session.setData(path, data, -1));
    }

    /** One write of a session. */
    private interface Write {
        void run() throws KeeperException, InterruptedException;
    }

    /** Runs {@code write} until it gets through; a lost session is counted and ends the writer. */
    private void retrying(Write write) throws InterruptedException {
        while (true) {
            try {
                write.run();
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
        createOnce(zk, path, new byte[0]);
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
    private static String children(String server, String path) throws Exception {
        var one = open(server);
        try {
            var synced = new CountDownLatch(1);
            one.sync("/", (rc, p, ctx) -> synced.countDown(), null);
            synced.await(20, TimeUnit.SECONDS);
            try {
                return "children " + one.getChildren(path, false).size();
            } catch (KeeperException.NoNodeException e) {
                return "children -1";
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
