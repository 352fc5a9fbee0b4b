package io.zkasg.aws;

import io.zkasg.testkit.stub.AwsStubServer;
import java.util.function.Consumer;
import java.util.function.Function;
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

    /**
     * Where the fake side of a contract runs: the fake itself (a fault lasts one answer), or the adapter over the wire
     * to the same fake (a fault must outlast the SDK's attempts).
     */
    record Side<P>(P port, int attempts, AutoCloseable resources) implements AutoCloseable {

        /** The fake in memory. */
        static <P> Side<P> memory(P fake) {
            return new Side<>(fake, 1, () -> { });
        }

        /** The adapter made by {@code adapter} from clients whose calls {@code serve} answers (the fake's endpoint). */
        static <P> Side<P> wire(Consumer<AwsStubServer> serve, Function<AwsClients, P> adapter) {
            var stubbed = serving(serve);
            return new Side<>(adapter.apply(stubbed.clients), SDK_ATTEMPTS, stubbed);
        }

        @Override
        public void close() throws Exception {
            resources.close();
        }
    }

    @Override
    public void close() {
        clients.close();
        stub.close();
    }
}
