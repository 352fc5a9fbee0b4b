import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * bench-rejoin's data loader (run as a single-file program: java -cp ZOOKEEPER_CP ZkLoad.java ...): one session,
 * asynchronous requests, at most 500 in flight, so that hundreds of MiB load in seconds rather than through zkCli.
 *
 * <pre>
 * ZkLoad HOST:PORT create PARENT COUNT FIRST SIZE          znodes PARENT/nNNNNNNN, FIRST .. FIRST+COUNT-1
 * ZkLoad HOST:PORT set    PARENT COUNT FIRST SIZE MODULO   setData on PARENT/n(i % MODULO), i = FIRST ..
 * </pre>
 * A request that meets a connection loss (an election under the load) is sent again 100 ms later, up to 50 times; a
 * create that then finds its znode counts as done. Prints "COUNT requests in MS ms, F failed, R retried"; exits 1 if
 * any request failed or the whole load took more than 20 minutes.
 */
public final class ZkLoad {

    private static final int WINDOW = 500;
    private static final int ATTEMPTS = 50;

    private static ZooKeeper zk;
    private static byte[] data;
    private static String parent;
    private static int modulo;
    private static boolean create;
    private static final Semaphore WINDOW_LEFT = new Semaphore(WINDOW);
    private static final AtomicInteger FAILED = new AtomicInteger();
    private static final AtomicInteger RETRIED = new AtomicInteger();
    private static final ScheduledExecutorService LATER = Executors.newSingleThreadScheduledExecutor(r -> {
        var t = new Thread(r, "retry");
        t.setDaemon(true);
        return t;
    });

    private ZkLoad() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: ZkLoad HOST:PORT create|set PARENT COUNT FIRST SIZE [MODULO]");
            System.exit(2);
        }
        create = args[1].equals("create");
        parent = args[2];
        int count = Integer.parseInt(args[3]);
        int first = Integer.parseInt(args[4]);
        data = new byte[Integer.parseInt(args[5])];
        Arrays.fill(data, (byte) (create ? 'z' : 's'));
        modulo = args.length > 6 ? Integer.parseInt(args[6]) : Integer.MAX_VALUE;
        var connected = new CountDownLatch(1);
        zk = new ZooKeeper(args[0], 30_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(60, TimeUnit.SECONDS)) {
            System.err.println("ZkLoad: no connection to " + args[0]);
            System.exit(1);
        }
        if (create) {
            try {
                zk.create(parent, "x".getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE,
                        CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
                // loaded before
            }
        }
        long start = System.nanoTime();
        for (int i = first; i < first + count; i++) {
            if (!WINDOW_LEFT.tryAcquire(120, TimeUnit.SECONDS)) {
                System.err.println("ZkLoad: no answer for 120 s");
                System.exit(1);
            }
            send(i, 1);
        }
        if (!WINDOW_LEFT.tryAcquire(WINDOW, 20, TimeUnit.MINUTES)) {
            System.err.println("ZkLoad: requests still unanswered after 20 minutes");
            System.exit(1);
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        zk.close();
        System.out.println(count + " requests in " + ms + " ms, " + FAILED.get() + " failed, " + RETRIED.get()
                + " retried");
        System.exit(FAILED.get() == 0 ? 0 : 1);
    }

    private static void send(int i, int attempt) {
        if (create) {
            zk.create(String.format("%s/n%07d", parent, i), data, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                    (rc, path, ctx, name) -> done(rc, i, attempt), null);
        } else {
            zk.setData(String.format("%s/n%07d", parent, i % modulo), data, -1,
                    (rc, path, ctx, stat) -> done(rc, i, attempt), null);
        }
    }

    private static void done(int rc, int i, int attempt) {
        var code = KeeperException.Code.get(rc);
        if (code == KeeperException.Code.CONNECTIONLOSS && attempt < ATTEMPTS) {
            RETRIED.incrementAndGet();
            LATER.schedule(() -> send(i, attempt + 1), 100, TimeUnit.MILLISECONDS);
            return;
        }
        if (code != KeeperException.Code.OK && !(create && attempt > 1 && code == KeeperException.Code.NODEEXISTS)) {
            FAILED.incrementAndGet();
        }
        WINDOW_LEFT.release();
    }
}
