package io.zkasg.lambda;

/** The parts of an SSM "EC2 Command Invocation Status-change Notification" event that the orchestrator uses. */
record CommandStatusEvent(String id, String source, String detailType, String commandId, String instanceId,
                          String documentName, String status) {
}
