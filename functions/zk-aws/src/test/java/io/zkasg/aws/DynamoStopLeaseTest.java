package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.port.CloudException;
import io.zkasg.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What the adapter sends: the calls the template grants, a strongly consistent read, throttling mapped. */
class DynamoStopLeaseTest extends AgainstStub {

    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-29T23:00:00Z"));

    @Test
    void current_shouldReadStronglyConsistent_fromTheConfiguredTable() {
        var lease = new DynamoStopLease(clients.dynamoDb(), "zk-demo-stop-lease", clock);

        assertThat(lease.current("zk-demo")).isEmpty();

        var get = stub.requests("GetItem").get(0);
        assertThat(get.header("X-Amz-Target")).isEqualTo("DynamoDB_20120810.GetItem");
        assertThat(get.json()).containsEntry("TableName", "zk-demo-stop-lease").containsEntry("ConsistentRead", true);
    }

    @Test
    void acquire_shouldWriteConditionally_andThrowThrottled_whenThrottlingOutlastsSdkRetries() {
        var lease = new DynamoStopLease(clients.dynamoDb(), "zk-demo-stop-lease", clock);
        lease.acquire("zk-demo", "i-1", 1, Duration.ofSeconds(60));
        assertThat(stub.requests("UpdateItem").get(0).json()).containsKey("ConditionExpression");

        stub.throttle("UpdateItem", 10);

        assertThat(catchThrowable(() -> lease.acquire("zk-demo", "i-2", 2, Duration.ofSeconds(60))))
                .isInstanceOf(CloudException.Throttled.class);
    }
}
