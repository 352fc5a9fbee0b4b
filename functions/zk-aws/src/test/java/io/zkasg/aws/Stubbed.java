package io.zkasg.aws;

import io.zkasg.core.port.ClusterTags;
import io.zkasg.testkit.FakeCloud;
import io.zkasg.testkit.stub.AwsStubServer;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
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

    /** Clients whose every call is answered by {@code cloud}, over the AWS wire protocols. */
    static Stubbed serving(FakeCloud cloud, ClusterTags cluster) {
        var stubbed = new Stubbed();
        FakeCloudEndpoint.serve(stubbed.stub, cloud, cluster);
        return stubbed;
    }

    @Override
    public void close() {
        clients.close();
        stub.close();
    }
}
