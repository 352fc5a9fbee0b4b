package io.zkasg.aws;

import io.zkasg.core.port.ResumeScheduler;
import java.math.BigDecimal;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** The resume queue contract against the SQS adapter and SDK, the HTTP stub answering as SQS does (JSON protocol). */
class SqsResumeSchedulerContractTest extends ResumeSchedulerContract {

    private static final String QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/zk-demo-resume";

    private final Stubbed stubbed = new Stubbed();
    private final SqsResumeScheduler scheduler = new SqsResumeScheduler(stubbed.clients.sqs(), QUEUE,
            t -> "ticket:" + t.instanceId());

    @AfterEach
    void close() {
        stubbed.close();
    }

    @Override
    ResumeScheduler scheduler() {
        return scheduler;
    }

    @Override
    Duration deliverableAfter() {
        var sends = stubbed.stub.requests("SendMessage");
        var delay = (BigDecimal) sends.get(sends.size() - 1).json().get("DelaySeconds");
        return Duration.ofSeconds(delay.longValueExact());
    }

    @Override
    void throttleNextSend() {
        stubbed.stub.throttle("SendMessage", Stubbed.SDK_ATTEMPTS);
    }
}
