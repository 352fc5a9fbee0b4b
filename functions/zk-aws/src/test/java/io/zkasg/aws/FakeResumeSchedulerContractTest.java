package io.zkasg.aws;

import io.zkasg.core.port.ResumeScheduler;
import io.zkasg.testkit.Delivery;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeCloud;
import java.time.Duration;
import java.time.Instant;

/** The resume queue contract against the fake cloud's queue. */
class FakeResumeSchedulerContractTest extends ResumeSchedulerContract {

    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-25T12:00:00Z"));
    private final FakeCloud cloud = new FakeCloud(clock);

    @Override
    ResumeScheduler scheduler() {
        return cloud;
    }

    @Override
    Duration deliverableAfter() {
        var pending = cloud.pending().stream().filter(d -> d instanceof Delivery.Resume).toList();
        return Duration.between(clock.instant(), pending.get(pending.size() - 1).due());
    }

    @Override
    void throttleNextSend() {
        cloud.throttle("SendMessage", 1);
    }
}
