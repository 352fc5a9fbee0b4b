package io.zkasg.aws;

import io.zkasg.core.port.Ec2Port;
import org.junit.jupiter.api.AfterEach;

/**
 * The EC2 contract against the real adapter, the real SDK and the AWS wire protocol, with the fake cloud answering
 * behind the HTTP stub ({@code FakeCloudEndpoint}). This proves the adapter reads and writes the wire correctly and
 * that the fake's rules reach through it; what AWS itself answers is pinned by {@link AwsEc2ContractTest}.
 */
class WireEc2ContractTest extends FakeEc2ContractTest {

    private Stubbed stubbed;

    @Override
    Ec2Port port() {
        if (stubbed == null) {
            stubbed = Stubbed.serving(cloud, CLUSTER);
        }
        return new AwsEc2(stubbed.clients.ec2());
    }

    @Override
    int attempts() {
        return Stubbed.SDK_ATTEMPTS;
    }

    @AfterEach
    void close() {
        if (stubbed != null) {
            stubbed.close();
        }
    }
}
