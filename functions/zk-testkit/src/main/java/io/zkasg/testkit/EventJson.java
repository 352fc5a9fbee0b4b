package io.zkasg.testkit;

import java.time.Instant;
import java.util.UUID;

/** Renders deliveries as the EventBridge envelopes AWS sends (the same shape as the files in events/). */
public final class EventJson {

    private static final String ACCOUNT = "123456789012";
    private static final String REGION = "us-east-1";

    private EventJson() {
    }

    public static String lifecycle(Delivery.Lifecycle d, Instant time) {
        var detailType = d.isLaunch() ? "EC2 Instance-launch Lifecycle Action"
                : "EC2 Instance-terminate Lifecycle Action";
        return """
                {"version":"0","id":"%s","detail-type":"%s","source":"aws.autoscaling","account":"%s",\
                "time":"%s","region":"%s","resources":["arn:aws:autoscaling:%s:%s:autoScalingGroup:\
                00000000-0000-4000-8000-000000000000:autoScalingGroupName/%s"],"detail":{\
                "LifecycleActionToken":"%s","AutoScalingGroupName":"%s","LifecycleHookName":"%s",\
                "EC2InstanceId":"%s","LifecycleTransition":"%s","Origin":"EC2","Destination":"AutoScalingGroup"}}"""
                .formatted(UUID.randomUUID(), detailType, ACCOUNT, time, REGION, REGION, ACCOUNT, d.groupName(),
                        d.token(), d.groupName(), d.hookName(), d.instanceId(), d.transition());
    }

    public static String commandStatus(Delivery.CommandStatus d, Instant time) {
        return """
                {"version":"0","id":"%s","detail-type":"EC2 Command Invocation Status-change Notification",\
                "source":"aws.ssm","account":"%s","time":"%s","region":"%s",\
                "resources":["arn:aws:ec2:%s:%s:instance/%s"],"detail":{"command-id":"%s",\
                "document-name":"%s","instance-id":"%s","requested-date-time":"%s","status":"%s"}}"""
                .formatted(UUID.randomUUID(), ACCOUNT, time, REGION, REGION, ACCOUNT, d.instanceId(), d.commandId(),
                        d.documentName(), d.instanceId(), time, d.status());
    }
}
