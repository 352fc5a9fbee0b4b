package io.zkasg.local.hooks;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import io.zkasg.aws.AwsClients;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;

/**
 * The real SDK clients on the {@link VirtualScheduler}'s clock. Every HTTP attempt first waits, in virtual time, its
 * modelled round trip plus whatever backoff the SDK's retry strategy chose before it; then it goes to the endpoint
 * (served at that virtual instant) and its answer comes back at once.
 *
 * <p>How the SDK's backoff sleeps are accounted: the retry strategy is the production one
 * ({@link AwsClients#standardRetries()}: the SDK's standard strategy, AWS's throttling and transient error codes, the
 * retry quota), with its own two backoff strategies (exponential with jitter: 100 ms base, 1 s base after a throttling
 * error, 20 s cap) read from it and wrapped: the wrapper asks the SDK's strategy for the delay, charges that delay to
 * the invocation's virtual time and hands the SDK a zero delay, so the SDK retries at once in wall time while the
 * retry reaches the endpoint as late as the real sleep would have made it.
 *
 * <p>Counts per invocation (the scheduler's {@link VirtualScheduler#owner() owner}, a {@link Tally}): API calls,
 * attempts, backoff, and calls that failed throttled after the SDK's retries.
 */
public final class VirtualAttempts implements ExecutionInterceptor {

    /** What one invocation's calls did. */
    public static final class Tally {
        int calls;
        int attempts;
        int throttledAttempts;
        int throttledPastRetries;
        Duration backoff = Duration.ZERO;
        Duration latency = Duration.ZERO;

        /** Attempts beyond the first of each call: the SDK's retries. */
        int retries() {
            return attempts - calls;
        }

        void add(Tally other) {
            calls += other.calls;
            attempts += other.attempts;
            throttledAttempts += other.throttledAttempts;
            throttledPastRetries += other.throttledPastRetries;
            backoff = backoff.plus(other.backoff);
            latency = latency.plus(other.latency);
        }
    }

    /** Whatever a scheduler owner is: something that carries a tally. */
    public interface Counted {
        Tally tally();
    }

    private final VirtualScheduler scheduler;
    private final Supplier<Duration> roundTrip;
    private final ThreadLocal<Duration> pendingBackoff = ThreadLocal.withInitial(() -> Duration.ZERO);

    /** {@code roundTrip} draws one attempt's modelled latency (request, service, answer). */
    public VirtualAttempts(VirtualScheduler scheduler, Supplier<Duration> roundTrip) {
        this.scheduler = scheduler;
        this.roundTrip = roundTrip;
    }

    /** The production retry strategy with its backoff charged to virtual time (see the class comment). */
    public RetryStrategy standardRetries() {
        return standardRetries(null);
    }

    /**
     * As {@link #standardRetries()}; with {@code throttlingBase} non-null, the SDK's full-jitter exponential backoff
     * with that base (20 s cap) after a throttling error instead of the standard strategy's: a what-if for the bench.
     */
    public RetryStrategy standardRetries(Duration throttlingBase) {
        var standard = AwsClients.standardRetries();
        var throttling = throttlingBase == null ? sdkBackoff(standard, "throttlingBackoffStrategy")
                : BackoffStrategy.exponentialDelay(throttlingBase, Duration.ofSeconds(20));
        return standard.toBuilder()
                .backoffStrategy(charged(sdkBackoff(standard, "backoffStrategy")))
                .throttlingBackoffStrategy(charged(throttling))
                .build();
    }

    private BackoffStrategy charged(BackoffStrategy sdk) {
        return attempt -> {
            var delay = sdk.computeDelay(attempt);
            pendingBackoff.set(pendingBackoff.get().plus(delay));
            return Duration.ZERO;
        };
    }

    /** The backoff the SDK's standard strategy was built with (a field of its base class, not in its API). */
    private static BackoffStrategy sdkBackoff(RetryStrategy standard, String field) {
        for (Class<?> c = standard.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(field);
                f.setAccessible(true);
                return (BackoffStrategy) f.get(standard);
            } catch (NoSuchFieldException e) {
                // look in the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot read the SDK's " + field + " from " + standard, e);
            }
        }
        throw new IllegalStateException("the SDK's standard retry strategy has no field " + field + ": " + standard);
    }

    private Tally tally() {
        return scheduler.owner() instanceof Counted counted ? counted.tally() : new Tally();
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes executionAttributes) {
        tally().calls++;
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes executionAttributes) {
        var tally = tally();
        var backoff = pendingBackoff.get();
        pendingBackoff.set(Duration.ZERO);
        var latency = roundTrip.get();
        tally.attempts++;
        tally.backoff = tally.backoff.plus(backoff);
        tally.latency = tally.latency.plus(latency);
        scheduler.sleep(backoff.plus(latency));
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes executionAttributes) {
        if (context.exception() instanceof AwsServiceException e && e.isThrottlingException()) {
            tally().throttledPastRetries++;
        }
    }
}
