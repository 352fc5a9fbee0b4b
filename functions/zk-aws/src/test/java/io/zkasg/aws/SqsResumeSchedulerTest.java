package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.HookTicket;
import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.port.CloudException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class SqsResumeSchedulerTest extends AgainstStub {

    private static final String QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/zkasg-resume";
    private static final HookTicket TICKET = HookTicket.first(
            new LifecycleRef("zk-asg", "zk-launch", "i-1", "tok"), Instant.parse("2026-01-01T00:00:00Z"));

    @ParameterizedTest(name = "{0} ms -> {1} s")
    @CsvSource({"-5000, 0", "0, 0", "1, 1", "30000, 30", "900000, 900", "3600000, 900"})
    void resumeLater_shouldClampDelayTo0To900Seconds_whenSending(long delayMillis, int expectedSeconds) {
        // GIVEN
        SqsResumeScheduler scheduler = new SqsResumeScheduler(clients.sqs(), QUEUE, t -> "ticket:" + t.instanceId());

        // WHEN
        scheduler.resumeLater(TICKET, Duration.ofMillis(delayMillis));

        // THEN
        Map<String, Object> json = stub.requests("SendMessage").get(0).json();
        assertThat(json).containsEntry("QueueUrl", QUEUE)
                .containsEntry("MessageBody", "ticket:i-1")
                .containsEntry("DelaySeconds", new BigDecimal(expectedSeconds));
    }

    @Test
    void resumeLater_shouldThrowThrottled_whenThrottlingOutlastsSdkRetries() {
        // GIVEN
        stub.throttle("SendMessage", 3);
        SqsResumeScheduler scheduler = new SqsResumeScheduler(clients.sqs(), QUEUE, t -> "x");

        // WHEN / THEN
        assertThat(catchThrowable(() -> scheduler.resumeLater(TICKET, Duration.ofSeconds(10))))
                .isInstanceOf(CloudException.Throttled.class);
        assertThat(stub.count("SendMessage")).isEqualTo(3);
    }
}
