package io.zkasg.aws;

import io.zkasg.core.port.Ec2Port;
import io.zkasg.testkit.FakeEc2;
import io.zkasg.testkit.stub.FakeCloudEndpoint;

/**
 * The EC2 contract against the real adapter, the real SDK and the AWS wire protocol, with the EC2 fake answering
 * behind the HTTP stub ({@code FakeCloudEndpoint}). This proves the adapter reads and writes the wire correctly and
 * that the fake's rules reach through it; what AWS itself answers is pinned by {@link AwsEc2ContractTest}.
 */
class WireEc2ContractTest extends FakeEc2ContractTest {

    @Override
    Stubbed.Side<Ec2Port> side(FakeEc2 fake) {
        return Stubbed.Side.wire(stub -> FakeCloudEndpoint.serveEc2(stub, fake, CLUSTER), c -> new AwsEc2(c.ec2()));
    }
}
