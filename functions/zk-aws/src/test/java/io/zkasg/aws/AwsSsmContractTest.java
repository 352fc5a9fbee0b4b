package io.zkasg.aws;

import static io.zkasg.testkit.stub.AwsStubServer.error;

import io.zkasg.testkit.stub.AwsShapes;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/**
 * The SSM contract against the real adapter and SDK, the HTTP stub answering as SSM does (JSON protocol, the
 * documented shapes and error codes), one canned answer per case.
 */
class AwsSsmContractTest extends SsmPortContract {

    private static final String INSTANCE = "i-0123456789abcdef0";
    private static final String COMMAND_ID = "0b9fd4b3-3a5d-4a8e-9f1e-2c3d4e5f6a7b";

    private final Stubbed stubbed = new Stubbed();
    private final AwsSsm ssm = new AwsSsm(stubbed.clients.ssm());

    @AfterEach
    void close() {
        stubbed.close();
    }

    @Override
    Arranged agentNotRegistered() {
        // DescribeInstanceInformation: the default answer lists no node; SendCommand refuses the id.
        stubbed.stub.enqueue("SendCommand", error("InvalidInstanceId",
                "Instances [[" + INSTANCE + "]] not in a valid state for account 123456789012"));
        return new Arranged(ssm, INSTANCE);
    }

    @Override
    Arranged agentConnectionLost() {
        stubbed.stub.on("DescribeInstanceInformation",
                r -> AwsShapes.describeInstanceInformation(Map.of(INSTANCE, "ConnectionLost")));
        return new Arranged(ssm, INSTANCE);
    }

    @Override
    Arranged agentOnline() {
        stubbed.stub.on("DescribeInstanceInformation",
                r -> AwsShapes.describeInstanceInformation(Map.of(INSTANCE, "Online")));
        return new Arranged(ssm, INSTANCE);
    }

    @Override
    Arranged agentJustRegistered() {
        // DescribeInstanceInformation: the default answer lists no node; SendCommand accepts the node.
        stubbed.stub.on("SendCommand", r -> AwsShapes.sendCommand(r, COMMAND_ID));
        return new Arranged(ssm, INSTANCE);
    }

    @Override
    Arranged invocationsTrail() {
        stubbed.stub.on("SendCommand", r -> AwsShapes.sendCommand(r, COMMAND_ID));
        stubbed.stub.enqueue("GetCommandInvocation", error("InvocationDoesNotExist", "", 400));
        return new Arranged(ssm, INSTANCE);
    }

    @Override
    Arranged throttled(String operation) {
        stubbed.stub.throttle(operation, Stubbed.SDK_ATTEMPTS);
        return new Arranged(ssm, INSTANCE);
    }
}
