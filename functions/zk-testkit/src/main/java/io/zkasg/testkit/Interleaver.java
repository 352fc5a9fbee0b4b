package io.zkasg.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs tasks on real threads but lets exactly one run at a time, switching between them at every yield point in an
 * order drawn from a seeded random generator: the same seed gives the same interleaving. Wire {@link #yieldPoint()}
 * into {@link FakeCloud#beforeCall}, so that every cloud call is a point where another task may run first.
 */
public final class Interleaver {

    private final SplittableRandom random;
    private final List<Worker> workers = new ArrayList<>();
    private final Semaphore back = new Semaphore(0);
    private final ThreadLocal<Worker> current = new ThreadLocal<>();
    private int switches;

    public Interleaver(long seed) {
        this.random = new SplittableRandom(seed);
    }

    private final class Worker {
        final Semaphore go = new Semaphore(0);
        final Thread thread;
        volatile boolean done;
        volatile Throwable failure;

        Worker(String name, Runnable task) {
            this.thread = new Thread(() -> {
                current.set(this);
                go.acquireUninterruptibly();
                try {
                    task.run();
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done = true;
                    back.release();
                }
            }, name);
            thread.setDaemon(true);
        }
    }

    /** Adds a task; it starts only when {@link #runAll()} first picks it. */
    public void spawn(String name, Runnable task) {
        var worker = new Worker(name, task);
        workers.add(worker);
        worker.thread.start();
    }

    /** Called by a task: hands control back so that the scheduler may pick another task. No-op outside tasks. */
    public void yieldPoint() {
        var worker = current.get();
        if (worker == null) {
            return;
        }
        back.release();
        worker.go.acquireUninterruptibly();
    }

    /** Runs every spawned task to its end, one step at a time in seeded random order; rethrows a task's failure. */
    public void runAll() {
        try {
            while (true) {
                var live = workers.stream().filter(w -> !w.done).toList();
                if (live.isEmpty()) {
                    break;
                }
                var next = live.get(random.nextInt(live.size()));
                switches++;
                next.go.release();
                if (!back.tryAcquire(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("task " + next.thread.getName() + " did not yield within 30 s");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        for (var worker : workers) {
            if (worker.failure != null) {
                throw new IllegalStateException("task " + worker.thread.getName() + " failed", worker.failure);
            }
        }
        workers.clear();
    }

    /** How many times control was handed to a task so far. */
    public int switches() {
        return switches;
    }
}
