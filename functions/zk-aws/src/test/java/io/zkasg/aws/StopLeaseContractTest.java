package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.port.StopLease;
import io.zkasg.core.port.StopLease.Grant;
import io.zkasg.core.port.StopLease.Holder;
import io.zkasg.testkit.FakeClock;
import io.zkasg.testkit.FakeStopLease;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The stop lease's contract, run against {@link FakeStopLease} and against {@link DynamoStopLease} over the HTTP
 * stub's DynamoDB (which evaluates the adapter's condition and update expressions itself). Each case names the AWS
 * behaviour it pins and where it is documented:
 * <ul>
 *   <li>[UpdateItem] DynamoDB API Reference, UpdateItem: "Edits an existing item's attributes, or adds a new item to
 *   the table if it does not already exist"; a condition that fails writes nothing and answers
 *   ConditionalCheckFailedException; ReturnValuesOnConditionCheckFailure=ALL_OLD puts the item on that error.</li>
 *   <li>[ADD] DynamoDB API Reference, UpdateItem / UpdateExpression: ADD to a number that does not exist starts from
 *   0.</li>
 *   <li>[Conditional writes] DynamoDB Developer Guide, "Condition expressions" / "Conditional writes": the condition
 *   is checked against the item's latest version and the write is atomic, so of two writers with the same condition
 *   exactly one succeeds.</li>
 *   <li>[GetItem] DynamoDB API Reference, GetItem: ConsistentRead=true returns every write acknowledged before it.</li>
 * </ul>
 */
class StopLeaseContractTest {

    private static final String CLUSTER = "zk-demo";
    private static final Duration TTL = Duration.ofSeconds(1800);
    private static final Instant START = Instant.parse("2026-11-29T23:00:00Z");

    /** A lease under test with its clock; closing it stops the stub, if any. */
    record Subject(String name, StopLease lease, FakeClock clock, AutoCloseable resources) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> leases() {
        return Stream.of(
                Arguments.of((Function<FakeClock, Subject>) clock ->
                        new Subject("fake", new FakeStopLease(clock), clock, () -> { })),
                Arguments.of((Function<FakeClock, Subject>) clock -> {
                    var stub = io.zkasg.testkit.stub.AwsStubServer.start();
                    var clients = AwsClients.forEndpoint(stub.endpoint(), AgainstStub.TEST_CREDENTIALS,
                            software.amazon.awssdk.regions.Region.US_EAST_1, AgainstStub.fastStandardRetries());
                    return new Subject("dynamodb over the stub", new DynamoStopLease(clients.dynamoDb(),
                            "zk-demo-stop-lease", clock), clock, () -> {
                                clients.close();
                                stub.close();
                            });
                }));
    }

    private static Subject subject(Function<FakeClock, Subject> make) {
        return make.apply(new FakeClock(START));
    }

    @ParameterizedTest
    @MethodSource("leases")
    void acquire_shouldGrantCounterOne_onAClusterNeverLeased(Function<FakeClock, Subject> make) throws Exception {
        // [UpdateItem] creates the item; [ADD] the counter starts from 0
        var s = subject(make);
        try (var ignored = s.resources()) {
            var grant = s.lease().acquire(CLUSTER, "i-1", 1, TTL);

            assertThat(grant).isEqualTo(new Grant.Granted(1, START.plus(TTL)));
            assertThat(s.lease().current(CLUSTER)).contains(new Holder("i-1", 1, 1, START.plus(TTL)));
        }
    }

    @ParameterizedTest
    @MethodSource("leases")
    void acquire_shouldRefuseNamingTheHolder_whileAnotherHoldsIt(Function<FakeClock, Subject> make) throws Exception {
        // [UpdateItem] the failed condition writes nothing; ALL_OLD names the holder without a second read
        var s = subject(make);
        try (var ignored = s.resources()) {
            s.lease().acquire(CLUSTER, "i-1", 1, TTL);
            s.clock().advance(Duration.ofSeconds(60));

            var grant = s.lease().acquire(CLUSTER, "i-2", 2, TTL);

            assertThat(grant).isEqualTo(new Grant.Refused(new Holder("i-1", 1, 1, START.plus(TTL))));
            assertThat(s.lease().current(CLUSTER).orElseThrow().instanceId()).isEqualTo("i-1");
        }
    }

    @ParameterizedTest
    @MethodSource("leases")
    void acquire_shouldKeepTheGrantAndPushTheExpiry_whenTheHolderAsksAgain(Function<FakeClock, Subject> make)
            throws Exception {
        var s = subject(make);
        try (var ignored = s.resources()) {
            s.lease().acquire(CLUSTER, "i-1", 1, TTL);
            s.clock().advance(Duration.ofSeconds(100));

            var grant = s.lease().acquire(CLUSTER, "i-1", 1, TTL);

            assertThat(grant).isEqualTo(new Grant.Granted(1, START.plusSeconds(100).plus(TTL)));
        }
    }

    @ParameterizedTest
    @MethodSource("leases")
    void acquire_shouldTakeOverWithTheNextCounter_onceTheHolderExpired(Function<FakeClock, Subject> make)
            throws Exception {
        // A crashed holder blocks the cluster until its expiry, not longer
        var s = subject(make);
        try (var ignored = s.resources()) {
            s.lease().acquire(CLUSTER, "i-1", 1, TTL);
            s.clock().advance(TTL.minusSeconds(1));
            assertThat(s.lease().acquire(CLUSTER, "i-2", 2, TTL)).isInstanceOf(Grant.Refused.class);
            s.clock().advance(Duration.ofSeconds(1));

            var grant = s.lease().acquire(CLUSTER, "i-2", 2, TTL);

            assertThat(grant).isEqualTo(new Grant.Granted(2, START.plus(TTL).plus(TTL)));
            // Fencing: the former holder can neither renew nor release the new grant
            assertThat(s.lease().renew(CLUSTER, "i-1", 1, TTL)).isFalse();
            assertThat(s.lease().release(CLUSTER, "i-1", 1)).isFalse();
            assertThat(s.lease().current(CLUSTER).orElseThrow().instanceId()).isEqualTo("i-2");
        }
    }

    @ParameterizedTest
    @MethodSource("leases")
    void release_shouldFreeTheLease_butKeepTheCounterGrowing(Function<FakeClock, Subject> make) throws Exception {
        // [UpdateItem] REMOVE keeps the item (and its counter); [GetItem] a consistent read sees the release
        var s = subject(make);
        try (var ignored = s.resources()) {
            var first = (Grant.Granted) s.lease().acquire(CLUSTER, "i-1", 1, TTL);

            assertThat(s.lease().release(CLUSTER, "i-1", first.counter())).isTrue();
            assertThat(s.lease().current(CLUSTER)).isEmpty();
            assertThat(s.lease().release(CLUSTER, "i-1", first.counter())).as("a second release").isFalse();
            assertThat(s.lease().acquire(CLUSTER, "i-2", 2, TTL)).isEqualTo(new Grant.Granted(2, START.plus(TTL)));
        }
    }

    @ParameterizedTest
    @MethodSource("leases")
    void renew_shouldOnlyExtendTheHoldersGrant(Function<FakeClock, Subject> make) throws Exception {
        var s = subject(make);
        try (var ignored = s.resources()) {
            s.lease().acquire(CLUSTER, "i-1", 1, TTL);
            s.clock().advance(Duration.ofSeconds(500));

            assertThat(s.lease().renew(CLUSTER, "i-2", 1, TTL)).isFalse();
            assertThat(s.lease().renew(CLUSTER, "i-1", 7, TTL)).isFalse();
            assertThat(s.lease().renew(CLUSTER, "i-1", 1, TTL)).isTrue();
            assertThat(s.lease().current(CLUSTER).orElseThrow().expiresAt()).isEqualTo(START.plusSeconds(500)
                    .plus(TTL));
            assertThat(s.lease().renew(CLUSTER, "i-9", 1, TTL)).isFalse();
        }
    }

    @ParameterizedTest
    @MethodSource("leases")
    void rename_shouldKeepTheGrant_onlyForItsHolder(Function<FakeClock, Subject> make) throws Exception {
        // [Conditional writes] SET on the holder's name under the holder's own condition
        var s = subject(make);
        try (var ignored = s.resources()) {
            s.lease().acquire(CLUSTER, "reconfig:add:4=10.0.1.11", 0, TTL);

            assertThat(s.lease().rename(CLUSTER, "reconfig:add:4=10.0.1.11", 7, "x")).as("stale counter").isFalse();
            assertThat(s.lease().rename(CLUSTER, "i-2", 1, "x")).as("not the holder").isFalse();
            assertThat(s.lease().rename(CLUSTER, "reconfig:add:4=10.0.1.11", 1, "reconfig:add:4=10.0.1.11@i-1/c-1"))
                    .isTrue();
            assertThat(s.lease().current(CLUSTER)).contains(new Holder("reconfig:add:4=10.0.1.11@i-1/c-1", 0, 1,
                    START.plus(TTL)));
            assertThat(s.lease().release(CLUSTER, "reconfig:add:4=10.0.1.11", 1)).as("the old name").isFalse();
            assertThat(s.lease().release(CLUSTER, "reconfig:add:4=10.0.1.11@i-1/c-1", 1)).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("leases")
    void acquire_shouldGrantExactlyOne_ofTwoLeaversAskingAtTheSameMoment(Function<FakeClock, Subject> make)
            throws Exception {
        // [Conditional writes] two writers, one condition, one winner (issue 15 item 1: two leavers at once)
        var s = subject(make);
        try (var ignored = s.resources()) {
            var pool = Executors.newFixedThreadPool(4);
            try {
                for (int round = 0; round < 5; round++) {
                    var go = new CountDownLatch(1);
                    var answers = new ArrayList<Future<Grant>>();
                    for (int n = 1; n <= 4; n++) {
                        var id = "i-" + round + "-" + n;
                        int node = n;
                        answers.add(pool.submit(() -> {
                            go.await();
                            return s.lease().acquire(CLUSTER, id, node, TTL);
                        }));
                    }
                    go.countDown();
                    var granted = new ArrayList<Grant>();
                    for (var answer : answers) {
                        var grant = answer.get();
                        if (grant instanceof Grant.Granted) {
                            granted.add(grant);
                        }
                    }
                    assertThat(granted).hasSize(1);
                    var holder = s.lease().current(CLUSTER).orElseThrow();
                    assertThat(holder.counter()).isEqualTo(round + 1);
                    assertThat(s.lease().release(CLUSTER, holder.instanceId(), holder.counter())).isTrue();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

}
