package io.zkasg.aws;

import io.zkasg.core.port.ResumeScheduler;
import io.zkasg.testkit.CloudState;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeResumeQueue;
import java.time.Duration;
import java.time.Instant;

/** The resume queue contract against the queue fake. */
class FakeResumeSchedulerContractTest extends ResumeSchedulerContract {

    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    private final FakeResumeQueue queue = new FakeResumeQueue(new CloudState(clock));

    @Override
    ResumeScheduler scheduler() {
        return queue;
    }

    @Override
    Duration deliverableAfter() {
        var waiting = queue.waiting();
        return Duration.between(clock.instant(), waiting.get(waiting.size() - 1).due());
    }

    @Override
    void throttleNextSend() {
        queue.throttle("SendMessage", 1);
    }
}
