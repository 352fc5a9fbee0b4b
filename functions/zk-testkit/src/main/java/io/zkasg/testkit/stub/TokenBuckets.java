package io.zkasg.testkit.stub;

import io.zkasg.testkit.stub.AwsStubServer.Request;
import io.zkasg.testkit.stub.AwsStubServer.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * AWS's API request throttling for one account in one region, as a gate for {@link AwsStubServer#gate}. EC2 throttles
 * each API action with its own token bucket, sized by the action's category (the "Request throttling for the Amazon
 * EC2 API" page, https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html): mutating actions 50 tokens
 * refilled at 5 per second, non-mutating ones ({@code Describe*}, {@code Get*}, {@code List*}) 100 at 20 per second,
 * unfiltered and unpaginated non-mutating ones 50 at 10 per second. A request takes one token; with none left it is
 * refused in the service's dialect ({@link AwsStubServer#throttledReply}: EC2 {@code RequestLimitExceeded}). Auto
 * Scaling and SSM publish no bucket sizes; the same categories apply to their actions, each with its own buckets. SQS
 * and DynamoDB are not throttled here. On top of the buckets a share of the requests can be refused at random, as when
 * other callers in the account use up the same buckets.
 */
public final class TokenBuckets implements Function<Request, Response> {

    /** An action's bucket size and refill rate per second. */
    public enum Category {
        MUTATING(50, 5), NON_MUTATING(100, 20), UNFILTERED(50, 10);

        final int size;
        final int refillPerSecond;

        Category(int size, int refillPerSecond) {
            this.size = size;
            this.refillPerSecond = refillPerSecond;
        }
    }

    /** What happened to the requests of one action so far. */
    public record Tally(String action, Category category, long admitted, long emptyBucket, long refusedAtRandom) {
    }

    private static final Set<AwsStubServer.Service> THROTTLED = Set.of(AwsStubServer.Service.EC2,
            AwsStubServer.Service.AUTOSCALING, AwsStubServer.Service.SSM);
    /** Query-protocol fields that neither filter nor paginate. */
    private static final Set<String> NOT_A_SELECTOR = Set.of("Action", "Version", "DryRun");

    private final Clock clock;
    private final double refusedShare;
    private final RandomGenerator random;
    private final Map<String, Bucket> buckets = new TreeMap<>();

    /**
     * Buckets that start full at {@code clock}'s time; {@code refusedShare} (0 to 1) of the requests that reach a
     * throttled service are refused at random before any token is taken.
     */
    public TokenBuckets(Clock clock, double refusedShare, RandomGenerator random) {
        if (refusedShare < 0 || refusedShare > 1) {
            throw new IllegalArgumentException("refusedShare must be within 0..1: " + refusedShare);
        }
        this.clock = clock;
        this.refusedShare = refusedShare;
        this.random = random;
    }

    /** The category of a request, empty for a service these buckets do not throttle. */
    public static Optional<Category> category(Request request) {
        if (!THROTTLED.contains(request.service())) {
            return Optional.empty();
        }
        var op = request.operation();
        if (!(op.startsWith("Describe") || op.startsWith("Get") || op.startsWith("List"))) {
            return Optional.of(Category.MUTATING);
        }
        boolean selects = request.service().isJson() ? !request.json().isEmpty()
                : request.params().keySet().stream().anyMatch(k -> !NOT_A_SELECTOR.contains(k));
        return Optional.of(selects ? Category.NON_MUTATING : Category.UNFILTERED);
    }

    /** Takes a token for the request: null when it may go on, the service's throttling reply when it is refused. */
    @Override
    public Response apply(Request request) {
        var category = category(request);
        if (category.isEmpty()) {
            return null;
        }
        synchronized (this) {
            var bucket = buckets.computeIfAbsent(request.service() + ":" + request.operation() + ":" + category.get(),
                    k -> new Bucket(request.operation(), category.get(), clock.instant()));
            if (refusedShare > 0 && random.nextDouble() < refusedShare) {
                bucket.refusedAtRandom++;
                return AwsStubServer.throttledReply(request);
            }
            if (!bucket.take(clock.instant())) {
                bucket.emptyBucket++;
                return AwsStubServer.throttledReply(request);
            }
            bucket.admitted++;
            return null;
        }
    }

    /** Per action (and category), what the buckets did. */
    public synchronized Map<String, Tally> tally() {
        var out = new TreeMap<String, Tally>();
        buckets.forEach((k, b) -> out.put(k, new Tally(b.action, b.category, b.admitted, b.emptyBucket,
                b.refusedAtRandom)));
        return out;
    }

    private static final class Bucket {
        final String action;
        final Category category;
        double tokens;
        Instant refilledAt;
        long admitted;
        long emptyBucket;
        long refusedAtRandom;

        Bucket(String action, Category category, Instant now) {
            this.action = action;
            this.category = category;
            this.tokens = category.size;
            this.refilledAt = now;
        }

        boolean take(Instant now) {
            if (now.isAfter(refilledAt)) {
                double seconds = Duration.between(refilledAt, now).toNanos() / 1e9;
                tokens = Math.min(category.size, tokens + seconds * category.refillPerSecond);
                refilledAt = now;
            }
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }
}
