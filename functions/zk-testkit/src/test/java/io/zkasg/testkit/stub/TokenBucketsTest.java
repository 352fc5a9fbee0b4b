package io.zkasg.testkit.stub;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Service;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The buckets of EC2's "Request throttling for the Amazon EC2 API" page, per action, on a clock moved by hand. */
class TokenBucketsTest {

    private final FakeClock clock = new FakeClock(Instant.parse("2026-11-30T00:00:00Z"));
    private final TokenBuckets buckets = new TokenBuckets(clock, 0, new SplittableRandom(1));

    private static Request query(Service service, String action, Map<String, String> selectors) {
        var params = new java.util.LinkedHashMap<String, String>();
        params.put("Action", action);
        params.put("Version", service == Service.EC2 ? "2016-11-15" : "2011-01-01");
        params.putAll(selectors);
        return new Request(service, action, params, "", Map.of());
    }

    private static Request attachVolume() {
        return query(Service.EC2, "AttachVolume", Map.of("VolumeId", "vol-1", "InstanceId", "i-1"));
    }

    private long admitted(Request request, int times) {
        return IntStream.range(0, times).filter(i -> buckets.apply(request) == null).count();
    }

    @Test
    void apply_shouldAdmitABurstOf50_thenRefillFivePerSecond_whenMutating() {
        // GIVEN / WHEN a burst of 60 AttachVolume in one instant, then 10 more a second later
        long burst = admitted(attachVolume(), 60);
        clock.advance(Duration.ofSeconds(1));
        long refilled = admitted(attachVolume(), 10);

        // THEN 50 went through, then the 5 tokens of one second's refill
        assertThat(burst).isEqualTo(50);
        assertThat(refilled).isEqualTo(5);
        assertThat(buckets.tally().values()).singleElement().satisfies(t -> {
            assertThat(t.category()).isEqualTo(TokenBuckets.Category.MUTATING);
            assertThat(t.emptyBucket()).isEqualTo(15);
        });
    }

    @Test
    void apply_shouldRefuseInTheServicesDialect_whenTheBucketIsEmpty() {
        // GIVEN an empty AttachVolume bucket
        admitted(attachVolume(), 50);

        // WHEN one more comes, and the first AttachNetworkInterface (its own bucket)
        var refused = buckets.apply(attachVolume());
        var other = buckets.apply(query(Service.EC2, "AttachNetworkInterface", Map.of("InstanceId", "i-1")));

        // THEN EC2's RequestLimitExceeded with 503; the other action is not affected
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("<Code>RequestLimitExceeded</Code>");
        assertThat(other).isNull();
    }

    @Test
    void apply_shouldGiveFilteredDescribes100AndUnfilteredOnes50() {
        // GIVEN / WHEN 120 filtered and 120 unfiltered DescribeInstances in one instant
        long filtered = admitted(query(Service.EC2, "DescribeInstances", Map.of("InstanceId.1", "i-1")), 120);
        long unfiltered = admitted(query(Service.EC2, "DescribeInstances", Map.of()), 120);

        // THEN
        assertThat(filtered).isEqualTo(100);
        assertThat(unfiltered).isEqualTo(50);
    }

    @Test
    void apply_shouldThrottleAutoScalingAndSsm_butNeverSqs() {
        // GIVEN / WHEN bursts of 60 CompleteLifecycleAction, SendCommand and SendMessage
        var complete = query(Service.AUTOSCALING, "CompleteLifecycleAction", Map.of("InstanceId", "i-1"));
        long completed = admitted(complete, 60);
        var send = new Request(Service.SSM, "SendCommand", Map.of(), "{\"InstanceIds\":[\"i-1\"]}", Map.of());
        long sent = admitted(send, 60);
        var message = new Request(Service.SQS, "SendMessage", Map.of(), "{\"MessageBody\":\"x\"}", Map.of());
        long queued = admitted(message, 60);

        // THEN Auto Scaling refuses with Throttling (400)
        assertThat(completed).isEqualTo(50);
        assertThat(sent).isEqualTo(50);
        assertThat(queued).isEqualTo(60);
        assertThat(buckets.apply(complete).body()).contains("<Code>Throttling</Code>");
    }

    @Test
    void apply_shouldRefuseTheGivenShareAtRandom_whileTokensRemain() {
        // GIVEN 30 % refused at random, and a clock that refills every bucket between requests
        var random = new TokenBuckets(clock, 0.3, new SplittableRandom(7));

        // WHEN 10,000 requests come one second apart
        long admitted = 0;
        for (int i = 0; i < 10_000; i++) {
            clock.advance(Duration.ofSeconds(1));
            admitted += random.apply(attachVolume()) == null ? 1 : 0;
        }

        // THEN about 70 % went through, none refused for lack of tokens
        assertThat(admitted).isBetween(6_800L, 7_200L);
        assertThat(random.tally().values()).singleElement().satisfies(t -> assertThat(t.emptyBucket()).isZero());
    }
}
