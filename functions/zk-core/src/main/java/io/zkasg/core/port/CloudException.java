package io.zkasg.core.port;

/**
 * A failure reported by the cloud, already classified for the domain. {@code code} keeps the provider's error code
 * (for example {@code InvalidNetworkInterface.InUse}) so that logs say exactly what AWS said.
 */
public class CloudException extends RuntimeException {

    private final String code;

    public CloudException(String code, String message) {
        super(code + ": " + message);
        this.code = code;
    }

    public CloudException(String code, String message, Throwable cause) {
        super(code + ": " + message, cause);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** Someone else holds the resource (ENI or volume in use, attachment point taken): try the next candidate. */
    public static final class ResourceInUse extends CloudException {
        public ResourceInUse(String code, String message) {
            super(code, message);
        }
    }

    /** The resource or the instance is in a state that forbids the call now (e.g. instance still pending). */
    public static final class IncorrectState extends CloudException {
        public IncorrectState(String code, String message) {
            super(code, message);
        }
    }

    /** The resource or instance does not exist (any more). */
    public static final class NotFound extends CloudException {
        public NotFound(String code, String message) {
            super(code, message);
        }
    }

    /** Resource and instance are in different availability zones. */
    public static final class ZoneMismatch extends CloudException {
        public ZoneMismatch(String code, String message) {
            super(code, message);
        }
    }

    /** The instance cannot take another attachment. */
    public static final class AttachmentLimit extends CloudException {
        public AttachmentLimit(String code, String message) {
            super(code, message);
        }
    }

    /** Throttled even after the SDK's own retries: back off and resume later. */
    public static final class Throttled extends CloudException {
        public Throttled(String code, String message) {
            super(code, message);
        }
    }

    /** SSM does not know the instance yet ({@code InvalidInstanceId}): its agent has not registered. */
    public static final class AgentNotReady extends CloudException {
        public AgentNotReady(String code, String message) {
            super(code, message);
        }
    }

    /** Auto Scaling has no active lifecycle action for this instance: it was completed already or timed out. */
    public static final class NoActiveLifecycleAction extends CloudException {
        public NoActiveLifecycleAction(String code, String message) {
            super(code, message);
        }
    }
}
