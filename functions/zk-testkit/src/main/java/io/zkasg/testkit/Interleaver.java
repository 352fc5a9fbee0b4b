package io.zkasg.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs tasks but lets exactly one run at a time, switching between them at every yield point in an order drawn from a
 * seeded random generator: the same seed gives the same interleaving. Wire {@link #yieldPoint()} into the cloud's
 * calls, so that every call is a point where another task may run first.
 *
 * <p>At a yield point the running task itself draws the next task (itself included) and hands control straight to
 * it: no round trip through the scheduler, and no thread switch at all when it draws itself. A lone task runs on the
 * caller's thread; concurrent ones on carrier threads kept for the whole test run (no thread or pool per batch).
 */
public final class Interleaver {

    /** Carriers shared by every interleaver: idle ones are reused, none is kept a minute after its last task. */
    private static final ExecutorService CARRIERS = Executors.newCachedThreadPool(r -> {
        var thread = new Thread(r, "interleaver-carrier");
        thread.setDaemon(true);
        return thread;
    });

    private final SplittableRandom random;
    private final List<Worker> pending = new ArrayList<>();
    private final List<Worker> live = new ArrayList<>();
    private final Semaphore finished = new Semaphore(0);
    private final ThreadLocal<Worker> current = new ThreadLocal<>();
    private volatile int switches;

    public Interleaver(long seed) {
        this.random = new SplittableRandom(seed);
    }

    private static final class Worker {
        final Semaphore go = new Semaphore(0);
        final String name;
        final Runnable task;
        Throwable failure;

        Worker(String name, Runnable task) {
            this.name = name;
            this.task = task;
        }
    }

    /** Adds a task; it starts only when {@link #runAll()} first picks it. */
    public void spawn(String name, Runnable task) {
        pending.add(new Worker(name, task));
    }

    /** The name of the task running on this thread, or null outside tasks. */
    public String currentTask() {
        var worker = current.get();
        return worker == null ? null : worker.name;
    }

    /** Called by a task: another task (or the same) runs next, drawn at random. No-op outside tasks. */
    public void yieldPoint() {
        var worker = current.get();
        if (worker == null || live.size() < 2) {
            return;
        }
        var next = live.get(random.nextInt(live.size()));
        switches++;
        if (next != worker) {
            next.go.release();
            worker.go.acquireUninterruptibly();
        }
    }

    /** Runs every spawned task to its end, one step at a time in seeded random order; rethrows a task's failure. */
    public void runAll() {
        var batch = List.copyOf(pending);
        pending.clear();
        if (batch.size() == 1) {
            execute(batch.get(0));
        } else if (!batch.isEmpty()) {
            runConcurrently(batch);
        }
        for (var worker : batch) {
            if (worker.failure != null) {
                throw new IllegalStateException("task " + worker.name + " failed", worker.failure);
            }
        }
    }

    /** Runs one task on this thread, as the task that yield points and {@link #currentTask()} see. */
    private void execute(Worker worker) {
        current.set(worker);
        try {
            worker.task.run();
        } catch (Throwable t) {
            worker.failure = t;
        } finally {
            current.remove();
        }
    }

    private void runConcurrently(List<Worker> batch) {
        live.addAll(batch);
        for (var worker : batch) {
            CARRIERS.execute(() -> carry(worker));
        }
        live.get(random.nextInt(live.size())).go.release();
        try {
            int seen = -1;
            while (!finished.tryAcquire(30, TimeUnit.SECONDS)) {
                if (seen == switches) {
                    throw new IllegalStateException("no task yielded within 30 s: " + live.stream()
                            .map(w -> w.name).toList());
                }
                seen = switches;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void carry(Worker worker) {
        worker.go.acquireUninterruptibly();
        execute(worker);
        live.remove(worker);
        if (live.isEmpty()) {
            finished.release();
        } else {
            switches++;
            live.get(random.nextInt(live.size())).go.release();
        }
    }

    /** How many times a task drew the next one to run so far. */
    public int switches() {
        return switches;
    }
}
