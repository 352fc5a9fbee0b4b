package io.zkasg.aws;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.warmup.SdkWarmUp;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.InstanceInformationStringFilter;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The five SDK clients, built once per execution environment over one shared URLConnection HTTP client with the
 * SDK's standard retry mode. {@link #fromEnvironment()} takes region and credentials from the SDK's default chains,
 * and the endpoint from {@code AWS_ENDPOINT_URL} / {@code aws.endpointUrl} when set (the SDK resolves those itself).
 */
public final class AwsClients implements AutoCloseable {

    /** Well-formed but never allocated: describes of it find nothing and change nothing. */
    static final String PRIME_INSTANCE_ID = "i-00000000000000000";
    private static final Duration PRIME_CALL_TIMEOUT = Duration.ofSeconds(3);

    private final Settings settings;
    private final SdkHttpClient http;
    private final Ec2Client ec2;
    private final AutoScalingClient autoScaling;
    private final SsmClient ssm;
    private final SqsClient sqs;
    private final DynamoDbClient dynamoDb;
    private final SdkAttempts attempts = new SdkAttempts();
    /** Production only (no explicit credentials): the default chain, replaceable after a SnapStart restore. */
    private final Renewable renewable;

    private AwsClients(Settings settings) {
        this.settings = settings;
        this.http = UrlConnectionHttpClient.builder().build();
        this.renewable = settings.credentials() == null ? new Renewable() : null;
        // Building a client is mostly class loading and initialisation, independent per service: build the other
        // four on their own threads while this one builds EC2's (the largest), to shorten a cold start.
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4, r -> {
            var t = new Thread(r, "aws-client-init");
            t.setDaemon(true);
            return t;
        });
        try {
            var autoScaling = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> configure(AutoScalingClient.builder(), settings).build(), pool);
            var ssm = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> configure(SsmClient.builder(), settings).build(), pool);
            var sqs = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> configure(SqsClient.builder(), settings).build(), pool);
            var dynamoDb = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> configure(DynamoDbClient.builder(), settings).build(), pool);
            this.ec2 = configure(Ec2Client.builder(), settings).build();
            this.autoScaling = autoScaling.join();
            this.ssm = ssm.join();
            this.sqs = sqs.join();
            this.dynamoDb = dynamoDb.join();
        } finally {
            pool.shutdown();
        }
    }

    /**
     * Attempts per call (the SDK's standard mode makes 3). A status event whose CompleteLifecycleAction is throttled
     * three times fails its invocation, and Lambda retries it only a minute later; two more attempts (within the
     * standard mode's backoff and retry quota) make that 8 times rarer under a 30 % refusal rate
     * (docs/benchmarks.md, hook overhead under throttling).
     */
    public static final int MAX_ATTEMPTS = 5;

    /**
     * The retry strategy of production clients: the SDK's standard one (AWS's throttling and transient error codes,
     * exponential backoff with jitter, 1 s base after a throttling error, the retry quota) with {@link #MAX_ATTEMPTS}.
     */
    public static RetryStrategy standardRetries() {
        return AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(MAX_ATTEMPTS).build();
    }

    /** Production: region, credentials and any endpoint override from the environment. */
    public static AwsClients fromEnvironment() {
        return new AwsClients(new Settings(null, null, null, null, List.of()));
    }

    /** Tests and benchmarks: an explicit endpoint (e.g. the stub server), static credentials and region. */
    public static AwsClients forEndpoint(URI endpoint, AwsCredentials credentials, Region region) {
        return forEndpoint(endpoint, credentials, region, null);
    }

    /** As {@link #forEndpoint(URI, AwsCredentials, Region)}, with a retry strategy (e.g. short backoff in tests). */
    public static AwsClients forEndpoint(URI endpoint, AwsCredentials credentials, Region region,
                                         RetryStrategy retryStrategy) {
        return forEndpoint(endpoint, credentials, region, retryStrategy, List.of());
    }

    /**
     * As {@link #forEndpoint(URI, AwsCredentials, Region, RetryStrategy)}, with more interceptors on every client
     * (e.g. a benchmark's model of each attempt's latency).
     */
    public static AwsClients forEndpoint(URI endpoint, AwsCredentials credentials, Region region,
                                         RetryStrategy retryStrategy, List<ExecutionInterceptor> interceptors) {
        return new AwsClients(new Settings(Objects.requireNonNull(endpoint, "endpoint"),
                StaticCredentialsProvider.create(Objects.requireNonNull(credentials, "credentials")),
                Objects.requireNonNull(region, "region"), retryStrategy, List.copyOf(interceptors)));
    }

    public Ec2Client ec2() {
        return ec2;
    }

    public AutoScalingClient autoScaling() {
        return autoScaling;
    }

    public SsmClient ssm() {
        return ssm;
    }

    public SqsClient sqs() {
        return sqs;
    }

    public DynamoDbClient dynamoDb() {
        return dynamoDb;
    }

    /**
     * For SnapStart's afterRestore: forgets the credentials resolved before the snapshot (the default chain caches
     * the container credentials it fetched, and every environment restored from one snapshot would share them), so
     * the next call resolves them anew in this environment. No effect on explicit credentials.
     *
     * @return whether there were cached credentials to forget
     */
    public boolean renewCredentials() {
        if (renewable == null) {
            return false;
        }
        renewable.renew();
        return true;
    }

    /** The SDK's own retries, counted per thread across the clients. */
    public SdkAttempts attempts() {
        return attempts;
    }

    /**
     * For SnapStart's beforeCheckpoint: loads and initialises the SDK (marshallers, unmarshallers, signer, endpoint
     * rules, credentials, HTTP stack) before the snapshot is taken, so restored environments do not pay for it on
     * their first event. First the SDK's own warm-up (canned responses, no network); then every operation the
     * adapters call, through the adapters, over canned-response clients configured like these, with every model class
     * their requests and responses can hold ({@link OfflinePriming}, no network); then one read-only call per
     * service that is filtered to an id that never exists (the HTTP client, TLS and the credentials chain). Nothing
     * is created or changed; every failure is swallowed.
     *
     * @return how many of the read-only calls got an answer from the service (a success or an AWS error)
     */
    public int prime() {
        try {
            SdkWarmUp.warmUp(Ec2Client.class, AutoScalingClient.class, SsmClient.class, SqsClient.class,
                    DynamoDbClient.class);
        } catch (RuntimeException | LinkageError e) {
            // Best effort only: the calls below warm the same paths.
        }
        primeOffline();
        Consumer<AwsRequestOverrideConfiguration.Builder> bounded = o -> o.apiCallTimeout(PRIME_CALL_TIMEOUT);
        int answered = 0;
        answered += answered(() -> ec2.describeInstances(r -> r
                .instanceIds(PRIME_INSTANCE_ID).overrideConfiguration(bounded)));
        answered += answered(() -> ec2.describeNetworkInterfaces(r -> r
                .filters(Filter.builder().name("network-interface-id").values("eni-00000000000000000").build())
                .overrideConfiguration(bounded)));
        answered += answered(() -> autoScaling.describeAutoScalingInstances(r -> r
                .instanceIds(PRIME_INSTANCE_ID).overrideConfiguration(bounded)));
        answered += answered(() -> ssm.describeInstanceInformation(r -> r
                .filters(InstanceInformationStringFilter.builder().key("InstanceIds").values(PRIME_INSTANCE_ID).build())
                .overrideConfiguration(bounded)));
        answered += answered(() -> sqs.getQueueUrl(r -> r
                .queueName("zkasg-prime-no-such-queue").overrideConfiguration(bounded)));
        return answered;
    }

    /**
     * The no-network part of {@link #prime()}: the adapters' operations over canned-response clients configured
     * like these ({@link OfflinePriming}).
     *
     * @return the names of the model classes built (each request and response type and everything they can hold)
     */
    public java.util.Set<String> primeOffline() {
        return OfflinePriming.run(configurer());
    }

    /** Clients configured like these but answered by the SDK's canned-response HTTP client, for priming. */
    public record Offline(Ec2Client ec2, AutoScalingClient autoScaling, SsmClient ssm, SqsClient sqs,
                          DynamoDbClient dynamoDb) {
    }

    /**
     * Hands {@code use} five clients configured like these (retries, interceptors, region, endpoint rules) whose
     * HTTP client is the SDK's canned-response one (an empty success to every call; nothing leaves the process) and
     * static credentials; closes them afterwards. For SnapStart priming of the handlers.
     */
    public <T> T offline(java.util.function.Function<Offline, T> use) {
        return OfflinePriming.withCanned(configurer(), null, use);
    }

    private OfflinePriming.Configurer configurer() {
        var settings = this.settings;
        return new OfflinePriming.Configurer() {
            @Override
            public <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B apply(B builder,
                                                                                        ExecutionInterceptor extra) {
                if (extra == null) {
                    return configure(builder, settings);
                }
                var withExtra = new Settings(settings.endpoint(), settings.credentials(), settings.region(),
                        settings.retryStrategy(), java.util.stream.Stream.concat(settings.interceptors().stream(),
                                java.util.stream.Stream.of(extra)).toList());
                return configure(builder, withExtra);
            }
        };
    }

    private static int answered(Runnable call) {
        try {
            call.run();
            return 1;
        } catch (AwsServiceException e) {
            return 1;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        ec2.close();
        autoScaling.close();
        ssm.close();
        sqs.close();
        dynamoDb.close();
        // Clients do not close an HTTP client they were given.
        http.close();
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder,
                                                                                      Settings settings) {
        builder.httpClient(http);
        // One override configuration: a second call would replace the first.
        builder.overrideConfiguration(o -> {
            o.addExecutionInterceptor(attempts);
            settings.interceptors().forEach(o::addExecutionInterceptor);
            o.retryStrategy(settings.retryStrategy() != null ? settings.retryStrategy() : standardRetries());
        });
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        builder.credentialsProvider(settings.credentials() != null ? settings.credentials() : renewable);
        if (settings.region() != null) {
            builder.region(settings.region());
        }
        return builder;
    }

    /** The SDK's default credentials chain, rebuilt (with empty caches) on {@link #renew()}. */
    private static final class Renewable implements AwsCredentialsProvider {

        private volatile DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();

        void renew() {
            var stale = chain;
            chain = DefaultCredentialsProvider.builder().build();
            stale.close();
        }

        @Override
        public AwsCredentials resolveCredentials() {
            return chain.resolveCredentials();
        }
    }

    private record Settings(URI endpoint, AwsCredentialsProvider credentials, Region region,
                            RetryStrategy retryStrategy, List<ExecutionInterceptor> interceptors) {
    }
}
