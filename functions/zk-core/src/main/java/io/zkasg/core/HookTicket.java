package io.zkasg.core;

import io.zkasg.core.model.LifecycleRef;
import java.time.Instant;

/**
 * One lifecycle action (launch or terminate) being worked on. It travels with every resumption, so the work needs no
 * database.
 *
 * @param startedAt when Auto Scaling started the action (the event's time)
 * @param lastHeartbeat when the hook's heartbeat timer last (re)started: the start, or our last heartbeat
 * @param attempt how many times the action has been advanced (1 for the first event)
 * @param chain a fresh id per resume message (empty for the first event): a duplicated event or message would start
 *     a second line of resumptions, so the instance's {@link InstanceTags#RESUME_CHAIN} tag names the one message
 *     that goes on and the others stop
 */
public record HookTicket(LifecycleRef ref, Instant startedAt, Instant lastHeartbeat, int attempt, String chain) {

    public static HookTicket first(LifecycleRef ref, Instant eventTime) {
        return new HookTicket(ref, eventTime, eventTime, 1, "");
    }

    HookTicket next(Instant heartbeat, String nextChain) {
        return new HookTicket(ref, startedAt, heartbeat, attempt + 1, nextChain);
    }

    public String instanceId() {
        return ref.instanceId();
    }
}
