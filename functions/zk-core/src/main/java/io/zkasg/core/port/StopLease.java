package io.zkasg.core.port;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The cluster's stop lease: at most one member is being stopped at a time. Every write is a conditional write on one
 * record per cluster, atomic and strongly consistent (DynamoDB in production), so two terminate hooks that look at
 * the same moment cannot both win, whatever EC2's tags say. The lease names its holder (the leaving instance and its
 * node id), expires (a crashed holder blocks the cluster at most until then) and carries a fencing counter that grows
 * by one with every grant to a new holder, so a late release by a former holder is refused. See docs/quorum.md.
 */
public interface StopLease {

    /** What a lease record holds; {@code counter} survives releases (it only grows). */
    record Holder(String instanceId, int nodeId, long counter, Instant expiresAt) {

        public boolean expired(Instant now) {
            return !now.isBefore(expiresAt);
        }
    }

    /** The answer to {@link #acquire}. */
    sealed interface Grant {

        /** The caller holds the lease until {@code expiresAt}; {@code counter} fences its later writes. */
        record Granted(long counter, Instant expiresAt) implements Grant {
        }

        /** Someone else holds it. */
        record Refused(Holder current) implements Grant {
        }
    }

    /**
     * Takes the lease for {@code instanceId} (leaving node {@code nodeId}) until now + {@code ttl}, when nobody holds
     * it or its holder's expiry has passed; a new grant counts one up. When {@code instanceId} holds it already, the
     * grant is kept (same counter) and its expiry pushed to now + {@code ttl}.
     */
    Grant acquire(String cluster, String instanceId, int nodeId, Duration ttl);

    /** Pushes the expiry to now + {@code ttl} when {@code instanceId} still holds grant {@code counter}. */
    boolean renew(String cluster, String instanceId, long counter, Duration ttl);

    /**
     * Renames the holder of grant {@code counter} from {@code instanceId} to {@code newHolder}, keeping the grant (its
     * counter and expiry); false when {@code instanceId} does not hold that grant any more, and then nothing changes.
     * A reconfiguration notes this way which command it sent, once SSM has given its id.
     */
    boolean rename(String cluster, String instanceId, long counter, String newHolder);

    /**
     * Gives the lease back when {@code instanceId} still holds grant {@code counter}; false when it does not (released
     * already, or taken over after its expiry), and then nothing changes.
     */
    boolean release(String cluster, String instanceId, long counter);

    /** The current holder, if any (a strongly consistent read); an expired holder is still returned. */
    Optional<Holder> current(String cluster);
}
