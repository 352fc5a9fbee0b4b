package io.zkasg.aws;

import io.zkasg.testkit.stub.AwsStubServer;
import java.util.function.Consumer;
import software.amazon.awssdk.regions.Region;

/**
 * Real SDK clients (standard retries, 3 attempts) against an {@link AwsStubServer} on 127.0.0.1: for the contract
 * tests, which cannot extend {@link AgainstStub} as well as their contract.
 */
final class Stubbed implements AutoCloseable {

    /** The SDK's attempts per call in standard mode: a fault must last this many answers to reach the adapter. */
    static final int SDK_ATTEMPTS = 3;

    final AwsStubServer stub = AwsStubServer.start();
    final AwsClients clients = AwsClients.forEndpoint(stub.endpoint(), AgainstStub.TEST_CREDENTIALS,
            Region.US_EAST_1, AgainstStub.fastStandardRetries());

    /** Clients whose calls are answered as {@code serve} programs the stub (a fake behind FakeCloudEndpoint). */
    static Stubbed serving(Consumer<AwsStubServer> serve) {
        var stubbed = new Stubbed();
        serve.accept(stubbed.stub);
        return stubbed;
    }

    @Override
    public void close() {
        clients.close();
        stub.close();
    }
}
