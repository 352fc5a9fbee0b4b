package io.zkasg.aws;

import io.zkasg.core.port.Ec2Port;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import org.junit.jupiter.api.AfterEach;

/**
 * The EC2 contract against the real adapter, the real SDK and the AWS wire protocol, with the EC2 fake answering
 * behind the HTTP stub ({@code FakeCloudEndpoint}). This proves the adapter reads and writes the wire correctly and
 * that the fake's rules reach through it; what AWS itself answers is pinned by {@link AwsEc2ContractTest}.
 */
class WireEc2ContractTest extends FakeEc2ContractTest {

    private final Stubbed wire = Stubbed.serving(stub -> FakeCloudEndpoint.serveEc2(stub, ec2, CLUSTER));
    private final Ec2Port adapter = new AwsEc2(wire.clients.ec2());

    @Override
    Ec2Port port() {
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
