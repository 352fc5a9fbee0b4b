package io.zkasg.aws;

import io.zkasg.aws.AwsErrors.Call;
import io.zkasg.core.port.StopLease;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * {@link StopLease} as one DynamoDB item per cluster ({@code cluster} is the partition key), changed only by
 * conditional {@code UpdateItem}s: DynamoDB applies each single-item write atomically and evaluates its condition on
 * the item's latest state, so two writers can never both succeed. The item is never deleted (no TTL attribute), so
 * the fencing counter only grows. Times are epoch seconds from this function's clock.
 *
 * <pre>
 * cluster (S, key) | holder (S) | nodeId (N) | expiresAt (N, epoch s) | counter (N, grants so far)
 * </pre>
 */
public final class DynamoStopLease implements StopLease {

    static final String KEY = "cluster";
    private static final Map<String, String> NAMES = Map.of("#holder", "holder", "#node", "nodeId",
            "#expires", "expiresAt", "#counter", "counter");

    private final DynamoDbClient dynamoDb;
    private final String table;
    private final Clock clock;

    public DynamoStopLease(DynamoDbClient dynamoDb, String table, Clock clock) {
        this.dynamoDb = Objects.requireNonNull(dynamoDb, "dynamoDb");
        this.table = Objects.requireNonNull(table, "table");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Grant acquire(String cluster, String instanceId, int nodeId, Duration ttl) {
        long now = clock.instant().getEpochSecond();
        long expires = now + ttl.toSeconds();
        var take = UpdateItemRequest.builder().tableName(table).key(key(cluster))
                .updateExpression("SET #holder = :holder, #node = :node, #expires = :expires ADD #counter :one")
                .conditionExpression("attribute_not_exists(#holder) OR #expires <= :now")
                .expressionAttributeNames(NAMES)
                .expressionAttributeValues(Map.of(":holder", s(instanceId), ":node", n(nodeId), ":expires", n(expires),
                        ":one", n(1), ":now", n(now)))
                .returnValues(ReturnValue.ALL_NEW)
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .build();
        try {
            var item = AwsErrors.call(Call.OTHER, () -> dynamoDb.updateItem(take)).attributes();
            return new Grant.Granted(number(item, "counter"), Instant.ofEpochSecond(expires));
        } catch (ConditionalCheckFailedException e) {
            var current = holder(e.item()).orElseThrow(() -> e);
            if (current.instanceId().equals(instanceId) && renew(cluster, instanceId, current.counter(), ttl)) {
                return new Grant.Granted(current.counter(), Instant.ofEpochSecond(expires));
            }
            return new Grant.Refused(current);
        }
    }

    @Override
    public boolean renew(String cluster, String instanceId, long counter, Duration ttl) {
        long expires = clock.instant().getEpochSecond() + ttl.toSeconds();
        return conditional(UpdateItemRequest.builder().tableName(table).key(key(cluster))
                .updateExpression("SET #expires = :expires")
                .conditionExpression("#holder = :holder AND #counter = :counter")
                .expressionAttributeNames(Map.of("#holder", "holder", "#counter", "counter", "#expires", "expiresAt"))
                .expressionAttributeValues(Map.of(":holder", s(instanceId), ":counter", n(counter),
                        ":expires", n(expires)))
                .build());
    }

    @Override
    public boolean rename(String cluster, String instanceId, long counter, String newHolder) {
        return conditional(UpdateItemRequest.builder().tableName(table).key(key(cluster))
                .updateExpression("SET #holder = :new")
                .conditionExpression("#holder = :holder AND #counter = :counter")
                .expressionAttributeNames(Map.of("#holder", "holder", "#counter", "counter"))
                .expressionAttributeValues(Map.of(":holder", s(instanceId), ":counter", n(counter),
                        ":new", s(newHolder)))
                .build());
    }

    @Override
    public boolean release(String cluster, String instanceId, long counter) {
        return conditional(UpdateItemRequest.builder().tableName(table).key(key(cluster))
                .updateExpression("REMOVE #holder, #node, #expires")
                .conditionExpression("#holder = :holder AND #counter = :counter")
                .expressionAttributeNames(NAMES)
                .expressionAttributeValues(Map.of(":holder", s(instanceId), ":counter", n(counter)))
                .build());
    }

    @Override
    public Optional<Holder> current(String cluster) {
        var answer = AwsErrors.call(Call.OTHER, () -> dynamoDb.getItem(r -> r.tableName(table).key(key(cluster))
                .consistentRead(true)));
        return answer.hasItem() ? holder(answer.item()) : Optional.empty();
    }

    private boolean conditional(UpdateItemRequest request) {
        try {
            AwsErrors.call(Call.OTHER, () -> dynamoDb.updateItem(request));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    private static Optional<Holder> holder(Map<String, AttributeValue> item) {
        if (item == null || !item.containsKey("holder")) {
            return Optional.empty();
        }
        return Optional.of(new Holder(item.get("holder").s(), (int) number(item, "nodeId"), number(item, "counter"),
                Instant.ofEpochSecond(number(item, "expiresAt"))));
    }

    private static long number(Map<String, AttributeValue> item, String name) {
        var value = item.get(name);
        return value == null || value.n() == null ? 0 : Long.parseLong(value.n());
    }

    private static Map<String, AttributeValue> key(String cluster) {
        return Map.of(KEY, s(cluster));
    }

    private static AttributeValue s(String value) {
        return AttributeValue.fromS(value);
    }

    private static AttributeValue n(long value) {
        return AttributeValue.fromN(Long.toString(value));
    }
}
