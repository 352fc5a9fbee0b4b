package io.zkasg.aws;

import io.zkasg.core.port.SsmPort;
import io.zkasg.testkit.stub.FakeCloudEndpoint;
import org.junit.jupiter.api.AfterEach;

/**
 * The SSM contract against the real adapter and SDK over the AWS wire protocol (JSON), the SSM fake answering behind
 * the HTTP stub: the adapter maps the wire and the fake's rules reach through it. What SSM itself answers is pinned by
 * {@link AwsSsmContractTest}.
 */
class WireSsmContractTest extends FakeSsmContractTest {

    private final Stubbed wire = Stubbed.serving(stub -> FakeCloudEndpoint.serveSsm(stub, ssm));
    private final SsmPort adapter = new AwsSsm(wire.clients.ssm());

    @Override
    SsmPort port() {
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
