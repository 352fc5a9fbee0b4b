package io.zkasg.core.port;

import io.zkasg.core.HookTicket;
import java.time.Duration;

/**
 * Brings a launch back later instead of holding a Lambda asleep while EC2 or SSM catch up (in production: an SQS
 * message with a delivery delay, consumed by the launch function).
 */
public interface ResumeScheduler {

    /** Delivers {@code ticket} to the launch use case again after about {@code delay} (at most 15 minutes). */
    void resumeLater(HookTicket ticket, Duration delay);
}
