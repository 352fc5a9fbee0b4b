package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.core.model.LifecycleRef;
import io.zkasg.core.port.AutoScalingPort;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Auto Scaling contract against the real adapter and SDK over the AWS wire protocol, the fake cloud answering
 * behind the HTTP stub: the adapter maps the wire and the fake's rules reach through it. What AWS itself answers is
 * pinned by {@link AwsAutoScalingContractTest}.
 */
class WireAutoScalingContractTest extends FakeAutoScalingContractTest {

    private final Stubbed wire = Stubbed.serving(cloud, CLUSTER);
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

    @Test
    void recordHeartbeat_shouldRestartTheTimeout_whenTheCallNamesTheActionByItsTokenAlone() {
        // Auto Scaling: a heartbeat names the action by its token or by the instance id (HOOKS); the adapter sends
        // the token alone when it has one, and the fake must find the action from it.
        var event = cloud.launch("i-0123456789abcdef0", "us-east-1a");
        clock.advance(Duration.ofSeconds(800));

        adapter.recordHeartbeat(new LifecycleRef(GROUP, LAUNCH_HOOK, event.instanceId(), event.token()));
        cloud.advance(Duration.ofSeconds(200));

        assertThat(wire.stub.requests("RecordLifecycleActionHeartbeat").get(0).param("InstanceId")).isNull();
        assertThat(cloud.timedOutActions()).isEmpty();
        assertThat(cloud.lifecycleState(event.instanceId())).isEqualTo("Pending:Wait");
    }
}
