package io.zkasg.local.hooks;

import io.zkasg.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Semaphore;

/**
 * Runs concurrent work on a virtual clock, one step at a time in time order: minutes of simulated waiting cost no wall
 * time, and every call reaches the cloud at its own virtual instant, whatever the machine's speed.
 *
 * <p>Participants are threads (one per function invocation). Exactly one thread runs at a time: either the caller of
 * {@link #run} (the dispatcher, which runs timed tasks) or one participant. A participant runs until it waits
 * ({@link #sleep}: a call's latency, an SDK backoff, a settle poll) or ends; then the dispatcher takes the earliest
 * entry (a task or a participant waiting to go on, ties in the order they were queued), sets the clock to its time and
 * runs it. Code between two waits therefore takes no virtual time, and a participant sees no other one move while it
 * runs.
 */
public final class VirtualScheduler {

    private record Entry(Instant at, long seq, Runnable task, Turn turn) {
    }

    /** A participant's permission to go on, and whom it runs for (see {@link #owner()}). */
    private record Turn(Semaphore go, Object owner) {
    }

    private final FakeClock clock;
    private final PriorityQueue<Entry> queue = new PriorityQueue<>(Comparator.comparing(Entry::at)
            .thenComparingLong(Entry::seq));
    /** Released when the running participant waits or ends: the dispatcher goes on. */
    private final Semaphore back = new Semaphore(0);
    private final List<Throwable> failures = new ArrayList<>();
    private volatile Object owner;
    private long seq;

    public VirtualScheduler(FakeClock clock) {
        this.clock = clock;
    }

    public FakeClock clock() {
        return clock;
    }

    /** Runs {@code task} on the dispatcher at {@code at} (at once if that is past). */
    public synchronized void at(Instant at, Runnable task) {
        queue.add(new Entry(at, seq++, task, null));
    }

    /**
     * Starts a participant thread that runs {@code body} from {@code at} for {@code owner}. Call it from the dispatcher
     * or a participant.
     */
    public void spawn(Instant at, Object owner, String name, Runnable body) {
        var turn = new Turn(new Semaphore(0), owner);
        synchronized (this) {
            queue.add(new Entry(at, seq++, null, turn));
        }
        var thread = new Thread(() -> {
            turn.go().acquireUninterruptibly();
            try {
                body.run();
            } catch (Throwable e) {
                synchronized (failures) {
                    failures.add(e);
                }
            } finally {
                back.release();
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** The running participant waits {@code duration} of virtual time (no wall time); call it only from one. */
    public void sleep(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            return;
        }
        var wake = clock.instant().plus(duration);
        var turn = new Turn(new Semaphore(0), owner);
        synchronized (this) {
            var next = queue.peek();
            if (next == null || next.at().isAfter(wake)) {
                // Nothing else is due first: go on at once (the dispatcher would hand the turn straight back).
                clock.set(wake);
                return;
            }
            queue.add(new Entry(wake, seq++, null, turn));
        }
        back.release();
        turn.go().acquireUninterruptibly();
    }

    /** Whom the running participant runs for (what {@link #spawn} was given); null on the dispatcher. */
    public Object owner() {
        return owner;
    }

    /**
     * Dispatches until nothing is queued or the next entry lies after {@code until}. Returns whether the queue ran
     * empty.
     */
    public boolean run(Instant until) {
        while (true) {
            Entry next;
            synchronized (this) {
                next = queue.peek();
                if (next == null) {
                    return true;
                }
                if (next.at().isAfter(until)) {
                    return false;
                }
                queue.poll();
            }
            clock.set(next.at());
            if (next.task() != null) {
                owner = null;
                next.task().run();
            } else {
                owner = next.turn().owner();
                next.turn().go().release();
                back.acquireUninterruptibly();
                owner = null;
            }
        }
    }

    /** What participants threw (each ended there). */
    public List<Throwable> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }
}
