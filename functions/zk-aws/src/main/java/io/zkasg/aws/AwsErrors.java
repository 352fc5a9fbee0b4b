package io.zkasg.aws;

import io.zkasg.core.port.CloudException;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

/**
 * Turns the error codes AWS returns into the core's {@link CloudException}s. The provider's code is kept in
 * {@link CloudException#code()} and the SDK exception stays the cause, so logs say exactly what AWS said. Codes the
 * domain does not act on are rethrown unchanged.
 */
final class AwsErrors {

    /** Whether the failing call was an attach: only there does InvalidParameterValue mean "someone got there first". */
    enum Call { ATTACH, OTHER }

    private static final Set<String> IN_USE = Set.of(
            "InvalidNetworkInterface.InUse", "VolumeInUse", "Resource.AlreadyAssociated");
    private static final Set<String> INCORRECT_STATE = Set.of("IncorrectState", "IncorrectInstanceState");
    private static final Set<String> NOT_FOUND = Set.of(
            "InvalidInstanceID.NotFound", "InvalidNetworkInterfaceID.NotFound", "InvalidVolume.NotFound",
            "InvalidAttachmentID.NotFound",
            // DetachVolume for a volume that is not attached to that instance: the attachment does not exist.
            "InvalidAttachment.NotFound");
    private static final Set<String> THROTTLED = Set.of("RequestLimitExceeded", "Throttling", "ThrottlingException",
            // DynamoDB, on-demand tables included (a partition's own limits).
            "ProvisionedThroughputExceededException");

    private AwsErrors() {
    }

    static <T> T call(Call call, Supplier<T> action) {
        try {
            return action.get();
        } catch (AwsServiceException e) {
            throw translate(e, call);
        }
    }

    static void run(Call call, Runnable action) {
        call(call, () -> {
            action.run();
            return null;
        });
    }

    /** The domain exception for {@code e}, or {@code e} itself when the domain has no use for its code. */
    static RuntimeException translate(AwsServiceException e, Call call) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        String message = e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
        if (code == null) {
            return e;
        }
        if (message == null) {
            message = "";
        }
        CloudException mapped = classify(code, message, call);
        if (mapped == null) {
            return e;
        }
        mapped.initCause(e);
        return mapped;
    }

    private static CloudException classify(String code, String message, Call call) {
        if (IN_USE.contains(code)) {
            return new CloudException.ResourceInUse(code, message);
        }
        if ("InvalidParameterValue".equals(code) && call == Call.ATTACH && saysTaken(message)) {
            // EC2 reports a device index or attachment point that is already used this way
            // ("...already has an interface attached at device index '1'", "Attachment point /dev/sdf is already in
            // use"). A genuinely invalid parameter stays an unmapped error, so a bug is not retried as a lost race.
            return new CloudException.ResourceInUse(code, message);
        }
        if (INCORRECT_STATE.contains(code)) {
            return new CloudException.IncorrectState(code, message);
        }
        if (NOT_FOUND.contains(code)) {
            return new CloudException.NotFound(code, message);
        }
        if ("InvalidVolume.ZoneMismatch".equals(code)) {
            return new CloudException.ZoneMismatch(code, message);
        }
        if ("AttachmentLimitExceeded".equals(code)) {
            return new CloudException.AttachmentLimit(code, message);
        }
        if (THROTTLED.contains(code)) {
            // Reaching here means the SDK's own retries are exhausted.
            return new CloudException.Throttled(code, message);
        }
        if ("ValidationError".equals(code) && message.contains("No active Lifecycle Action")) {
            return new CloudException.NoActiveLifecycleAction(code, message);
        }
        if ("InvalidInstanceId".equals(code)) {
            return new CloudException.AgentNotReady(code, message);
        }
        return null;
    }

    private static boolean saysTaken(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("already") || m.contains("in use");
    }
}
