package io.zkasg.aws;

import io.zkasg.core.port.AutoScalingPort;
import io.zkasg.testkit.FakeAutoScaling;
import io.zkasg.testkit.stub.FakeCloudEndpoint;

/**
 * The Auto Scaling contract against the real adapter and SDK over the AWS wire protocol, its fake answering
 * behind the HTTP stub: the adapter maps the wire and the fake's rules reach through it. What AWS itself answers is
 * pinned by {@link AwsAutoScalingContractTest}.
 */
class WireAutoScalingContractTest extends FakeAutoScalingContractTest {

    @Override
    Stubbed.Side<AutoScalingPort> side(FakeAutoScaling fake) {
        return Stubbed.Side.wire(stub -> FakeCloudEndpoint.serveAutoScaling(stub, fake),
                c -> new AwsAutoScaling(c.autoScaling()));
    }
}
