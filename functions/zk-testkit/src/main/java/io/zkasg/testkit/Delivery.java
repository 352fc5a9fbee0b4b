package io.zkasg.testkit;

import io.zkasg.core.HookTicket;
import java.time.Instant;

/** Something the cloud would deliver to the orchestrator's functions: an EventBridge event or an SQS message. */
public sealed interface Delivery {

    /** When it becomes deliverable. */
    Instant due();

    /** Auto Scaling's lifecycle action event (launch or terminate). */
    record Lifecycle(String transition, String groupName, String hookName, String instanceId, String token,
                     Instant due) implements Delivery {
        public boolean isLaunch() {
            return "autoscaling:EC2_INSTANCE_LAUNCHING".equals(transition);
        }
    }

    /** SSM's per-instance command status change. */
    record CommandStatus(String commandId, String instanceId, String documentName, String status, Instant due)
            implements Delivery {
    }

    /** A launch the orchestrator asked to resume later. */
    record Resume(HookTicket ticket, Instant due) implements Delivery {
    }
}
