package io.zkasg.aws;

import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import org.junit.jupiter.api.AfterEach;

/**
 * The Auto Scaling contract against the real adapter and SDK over the AWS wire protocol, its fake answering
 * behind the HTTP stub: the adapter maps the wire and the fake's rules reach through it. What AWS itself answers is
 * pinned by {@link AwsAutoScalingContractTest}.
 */
class WireAutoScalingContractTest extends FakeAutoScalingContractTest {

    private final Stubbed wire = Stubbed.serving(stub -> FakeCloudEndpoint.serveAutoScaling(stub, autoScaling));
    private final AutoScalingPort adapter = new AwsAutoScaling(wire.clients.autoScaling());

    @Override
    AutoScalingPort port() {
        return adapter;
    }

    @Override
    int attempts() {
        return Stubbed.SDK_ATTEMPTS;
    }

    @AfterEach
    void close() {
        wire.close();
    }
}
