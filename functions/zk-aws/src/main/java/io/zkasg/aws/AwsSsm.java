package io.zkasg.aws;

import io.zkasg.aws.AwsErrors.Call;
import io.zkasg.core.model.AgentStatus;
import io.zkasg.core.port.CloudException;
import io.zkasg.core.port.SsmPort;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.DescribeInstanceInformationRequest;
import software.amazon.awssdk.services.ssm.model.GetCommandInvocationRequest;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationStringFilter;
import software.amazon.awssdk.services.ssm.model.InvocationDoesNotExistException;
import software.amazon.awssdk.services.ssm.model.SendCommandRequest;

/** {@link SsmPort} over Systems Manager. */
public final class AwsSsm implements SsmPort {

    /** SendCommand rejects a Comment longer than 100 characters. */
    static final int MAX_COMMENT = 100;
    /** SendCommand's TimeoutSeconds range. */
    static final long MIN_TIMEOUT_SECONDS = 30;
    static final long MAX_TIMEOUT_SECONDS = 2_592_000;

    private final SsmClient ssm;

    public AwsSsm(SsmClient ssm) {
        this.ssm = Objects.requireNonNull(ssm, "ssm");
    }

    @Override
    public AgentStatus agentStatus(String instanceId) {
        DescribeInstanceInformationRequest request = DescribeInstanceInformationRequest.builder()
                .filters(InstanceInformationStringFilter.builder().key("InstanceIds").values(instanceId).build())
                .build();
        List<InstanceInformation> infos;
        try {
            infos = AwsErrors.call(Call.OTHER,
                    () -> ssm.describeInstanceInformation(request).instanceInformationList());
        } catch (CloudException.AgentNotReady e) {
            // SSM may answer an id it has never seen with InvalidInstanceId instead of an empty list.
            return AgentStatus.NOT_REGISTERED;
        }
        return infos.stream()
                .filter(info -> instanceId.equals(info.instanceId()))
                .findFirst()
                .map(info -> "Online".equals(info.pingStatusAsString()) ? AgentStatus.ONLINE : AgentStatus.UNREACHABLE)
                .orElse(AgentStatus.NOT_REGISTERED);
    }

    @Override
    public Optional<String> commandStatus(String commandId, String instanceId) {
        GetCommandInvocationRequest request = GetCommandInvocationRequest.builder()
                .commandId(commandId)
                .instanceId(instanceId)
                .build();
        try {
            return Optional.of(AwsErrors.call(Call.OTHER,
                    () -> ssm.getCommandInvocation(request).statusAsString()));
        } catch (InvocationDoesNotExistException e) {
            return Optional.empty(); // SSM does not know this command on this instance
        } catch (CloudException.AgentNotReady e) {
            return Optional.empty(); // InvalidInstanceId: SSM does not know the instance (any more)
        }
    }

    @Override
    public String sendCommand(String instanceId, String documentName, Map<String, String> parameters, String comment,
                              Duration timeout) {
        Map<String, List<String>> sdkParameters = new LinkedHashMap<>();
        parameters.forEach((name, value) -> sdkParameters.put(name, List.of(value)));
        SendCommandRequest.Builder request = SendCommandRequest.builder()
                .documentName(documentName)
                .instanceIds(instanceId)
                .parameters(sdkParameters)
                .timeoutSeconds((int) Math.max(MIN_TIMEOUT_SECONDS,
                        Math.min(MAX_TIMEOUT_SECONDS, timeout.toSeconds())));
        if (comment != null && !comment.isEmpty()) {
            request.comment(comment.length() > MAX_COMMENT ? comment.substring(0, MAX_COMMENT) : comment);
        }
        return AwsErrors.call(Call.OTHER, () -> ssm.sendCommand(request.build()).command().commandId());
    }
}
