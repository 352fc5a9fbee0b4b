package io.zkasg.testkit;

import io.zkasg.core.HookTicket;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ResumeScheduler;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The resume queue (SQS) in memory, over the shared {@link CloudState} (held to SQS's rules by
 * {@code ResumeSchedulerContract}): a message becomes deliverable after its delay, at most 15 minutes. Thread-safe.
 */
public final class FakeResumeQueue implements ResumeScheduler {

    /** SQS delays a message by at most 15 minutes (SendMessage's DelaySeconds). */
    public static final Duration MAX_DELAY = Duration.ofMinutes(15);

    /** The operations this fake serves (their faults and throttling are SQS's). */
    public static final Set<String> OPERATIONS = Set.of("SendMessage");

    private final CloudState state;

    public FakeResumeQueue(CloudState state) {
        this.state = state;
    }

    /** The next {@code times} sends are throttled as SQS does (ThrottlingException). */
    public FakeResumeQueue throttle(String operation, int times) {
        state.failNext(OPERATIONS, operation, times,
                () -> new CloudException.Throttled("ThrottlingException", "Rate exceeded"));
        return this;
    }

    @Override
    public void resumeLater(HookTicket ticket, Duration delay) {
        state.enter("SendMessage", true, true);
        synchronized (state) {
            state.fault("SendMessage");
            state.outbox.add(new Delivery.Resume(ticket, state.clock.instant().plus(
                    delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay)));
        }
    }

    /** The messages not delivered yet, in the order they were sent. */
    public List<Delivery.Resume> waiting() {
        synchronized (state) {
            return state.outbox.stream().filter(Delivery.Resume.class::isInstance).map(Delivery.Resume.class::cast)
                    .toList();
        }
    }
}
