package io.zkasg.aws;

import io.zkasg.testkit.stub.AwsStubServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;

/**
 * Real SDK clients talking to a fresh {@link AwsStubServer} on 127.0.0.1, with the standard retry mode's 3 attempts.
 */
abstract class AgainstStub {

    static final AwsBasicCredentials TEST_CREDENTIALS = AwsBasicCredentials.create("AKIDTEST", "secret");

    AwsStubServer stub;
    AwsClients clients;

    /** Standard retries (3 attempts, throttling codes retried) without the wait, so the suite stays fast. */
    static RetryStrategy fastStandardRetries() {
        return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .backoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(1)))
                .throttlingBackoffStrategy(BackoffStrategy.fixedDelay(Duration.ofMillis(1)))
                .circuitBreakerEnabled(false)
                .build();
    }

    @BeforeEach
    void startStub() {
        stub = AwsStubServer.start();
        clients = AwsClients.forEndpoint(stub.endpoint(), TEST_CREDENTIALS, Region.US_EAST_1, fastStandardRetries());
    }

    @AfterEach
    void stopStub() {
        clients.close();
        stub.close();
    }
}
