package io.zkasg.testkit;

import io.zkasg.core.port.StopLease;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The stop lease in memory, with the rules of the DynamoDB adapter's conditional writes (held to them by
 * {@code StopLeaseContractTest}): one record per cluster, every write atomic, a grant counts one up, an expired
 * holder can be replaced, release and renew only by the holder of that grant. Thread-safe.
 */
public final class FakeStopLease implements StopLease {

    private final Clock clock;
    private final Map<String, Holder> held = new HashMap<>();
    private final Map<String, Long> counters = new HashMap<>();
    private final List<String> grants = new ArrayList<>();
    private final List<String> expiredTakeovers = new ArrayList<>();

    public FakeStopLease(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized Grant acquire(String cluster, String instanceId, int nodeId, Duration ttl) {
        var now = clock.instant();
        var current = held.get(cluster);
        if (current != null && current.instanceId().equals(instanceId) && !current.expired(now)) {
            var renewed = new Holder(instanceId, current.nodeId(), current.counter(), expiry(now, ttl));
            held.put(cluster, renewed);
            return new Grant.Granted(renewed.counter(), renewed.expiresAt());
        }
        if (current != null && !current.expired(now)) {
            return new Grant.Refused(current);
        }
        long counter = counters.merge(cluster, 1L, Long::sum);
        var granted = new Holder(instanceId, nodeId, counter, expiry(now, ttl));
        held.put(cluster, granted);
        grants.add(cluster + "/" + instanceId + "#" + counter);
        if (current != null) {
            expiredTakeovers.add(cluster + "/" + instanceId + "#" + counter + " after " + current.instanceId() + "#"
                    + current.counter() + " expired at " + current.expiresAt());
        }
        return new Grant.Granted(counter, granted.expiresAt());
    }

    @Override
    public synchronized boolean renew(String cluster, String instanceId, long counter, Duration ttl) {
        var current = held.get(cluster);
        if (current == null || !current.instanceId().equals(instanceId) || current.counter() != counter) {
            return false;
        }
        held.put(cluster, new Holder(instanceId, current.nodeId(), counter, expiry(clock.instant(), ttl)));
        return true;
    }

    @Override
    public synchronized boolean rename(String cluster, String instanceId, long counter, String newHolder) {
        var current = held.get(cluster);
        if (current == null || !current.instanceId().equals(instanceId) || current.counter() != counter) {
            return false;
        }
        held.put(cluster, new Holder(newHolder, current.nodeId(), counter, current.expiresAt()));
        return true;
    }

    @Override
    public synchronized boolean release(String cluster, String instanceId, long counter) {
        var current = held.get(cluster);
        if (current == null || !current.instanceId().equals(instanceId) || current.counter() != counter) {
            return false;
        }
        held.remove(cluster);
        return true;
    }

    @Override
    public synchronized Optional<Holder> current(String cluster) {
        return Optional.ofNullable(held.get(cluster));
    }

    /** Whole seconds, as the adapter stores them. */
    private static Instant expiry(Instant now, Duration ttl) {
        return Instant.ofEpochSecond(now.getEpochSecond() + ttl.toSeconds());
    }

    /** Every grant made, as {@code cluster/instance#counter}, in order (renewals of a grant are not listed). */
    public synchronized List<String> grants() {
        return List.copyOf(grants);
    }

    /**
     * The grants that took the lease from a holder whose lease had expired instead of one that gave it back: each is
     * a stop that waited the lease's whole length for a holder that never released it.
     */
    public synchronized List<String> expiredTakeovers() {
        return List.copyOf(expiredTakeovers);
    }
}
