package io.zkasg.aws;

import io.zkasg.aws.AwsErrors.Call;
import io.zkasg.core.HookTicket;
import io.zkasg.core.port.ResumeScheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/** {@link ResumeScheduler} as an SQS message whose delivery is delayed; the launch function consumes the queue. */
public final class SqsResumeScheduler implements ResumeScheduler {

    /** SQS delays a message by at most 15 minutes. */
    static final long MAX_DELAY_SECONDS = 900;

    private final SqsClient sqs;
    private final String queueUrl;
    private final Function<HookTicket, String> codec;

    public SqsResumeScheduler(SqsClient sqs, String queueUrl, Function<HookTicket, String> codec) {
        this.sqs = Objects.requireNonNull(sqs, "sqs");
        this.queueUrl = Objects.requireNonNull(queueUrl, "queueUrl");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    @Override
    public void resumeLater(HookTicket ticket, Duration delay) {
        SendMessageRequest request = SendMessageRequest.builder()
                .queueUrl(queueUrl)
                .messageBody(codec.apply(ticket))
                .delaySeconds((int) delaySeconds(delay))
                .build();
        AwsErrors.run(Call.OTHER, () -> sqs.sendMessage(request));
    }

    static long delaySeconds(Duration delay) {
        // Round up: resuming a little late is harmless, resuming before EC2 or SSM caught up wastes a round.
        long seconds = delay.isNegative() ? 0 : delay.plusMillis(999).toSeconds();
        return Math.max(0, Math.min(MAX_DELAY_SECONDS, seconds));
    }
}
