package io.zkasg.aws;

import io.zkasg.core.port.SsmPort;
import io.zkasg.testkit.FakeSsm;
import io.zkasg.testkit.stub.FakeCloudEndpoint;

/**
 * The SSM contract against the real adapter and SDK over the AWS wire protocol (JSON), the SSM fake answering behind
 * the HTTP stub: the adapter maps the wire and the fake's rules reach through it. What SSM itself answers is pinned by
 * {@link AwsSsmContractTest}.
 */
class WireSsmContractTest extends FakeSsmContractTest {

    @Override
    Stubbed.Side<SsmPort> side(FakeSsm fake) {
        return Stubbed.Side.wire(stub -> FakeCloudEndpoint.serveSsm(stub, fake), c -> new AwsSsm(c.ssm()));
    }
}
