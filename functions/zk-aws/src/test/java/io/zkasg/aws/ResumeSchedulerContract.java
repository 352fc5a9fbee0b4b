package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.HookTicket;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.ResumeScheduler;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ResumeScheduler} must do, run against the fake's resume queue
 * ({@link FakeResumeSchedulerContractTest}) and the SQS adapter against SQS's documented answers
 * ({@link SqsResumeSchedulerContractTest}). The fake endpoint serves no SQS, so there is no wire-to-fake side here.
 */
abstract class ResumeSchedulerContract {

    static final String SEND_MESSAGE =
            "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html";
    static final HookTicket TICKET = HookTicket.first(new LifecycleRef("zk-demo-asg", "zk-demo-launch",
            "i-0123456789abcdef0", null), Instant.parse("2026-11-25T12:00:00Z"));

    /** The scheduler under test. */
    abstract ResumeScheduler scheduler();

    /** After how long the message sent by the last {@link ResumeScheduler#resumeLater} call becomes deliverable. */
    abstract Duration deliverableAfter();

    /** The next send is throttled past the SDK's retries. */
    abstract void throttleNextSend();

    @Test
    void resumeLater_shouldDeliverAfterTheDelay_whenItIsWithinFifteenMinutes() {
        // SQS: a message sent with DelaySeconds stays invisible that long (SEND_MESSAGE).
        scheduler().resumeLater(TICKET, Duration.ofSeconds(30));
        assertThat(deliverableAfter()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void resumeLater_shouldDeliverAfterFifteenMinutes_whenAskedForLonger() {
        // SQS: DelaySeconds is at most 900 (SEND_MESSAGE): a longer wait comes back after 15 minutes, and the use
        // case decides again then.
        scheduler().resumeLater(TICKET, Duration.ofMinutes(40));
        assertThat(deliverableAfter()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void resumeLater_shouldBeThrottled_whenSqsKeepsThrottling() {
        // SQS: throttled sends fail (SEND_MESSAGE, Common Errors: ThrottlingException); what outlasts the SDK's
        // retries reaches the port as Throttled.
        throttleNextSend();
        var thrown = catchThrowable(() -> scheduler().resumeLater(TICKET, Duration.ofSeconds(30)));
        assertThat(thrown).isInstanceOf(CloudException.Throttled.class);
    }
}
