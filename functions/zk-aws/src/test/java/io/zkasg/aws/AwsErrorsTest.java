package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.aws.AwsErrors.Call;
import io.zkasg.core.port.CloudException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;

class AwsErrorsTest {

    static Stream<Arguments> mappedCodes() {
        return Stream.of(
                Arguments.of("InvalidNetworkInterface.InUse", "", Call.ATTACH, CloudException.ResourceInUse.class),
                Arguments.of("VolumeInUse", "", Call.ATTACH, CloudException.ResourceInUse.class),
                Arguments.of("Resource.AlreadyAssociated", "", Call.ATTACH, CloudException.ResourceInUse.class),
                Arguments.of("InvalidParameterValue",
                        "Instance 'i-1' already has an interface attached at device index '1'.", Call.ATTACH,
                        CloudException.ResourceInUse.class),
                Arguments.of("InvalidParameterValue",
                        "Invalid value '/dev/sdf' for unixDevice. Attachment point /dev/sdf is already in use",
                        Call.ATTACH, CloudException.ResourceInUse.class),
                Arguments.of("IncorrectState", "", Call.ATTACH, CloudException.IncorrectState.class),
                Arguments.of("IncorrectInstanceState", "", Call.ATTACH, CloudException.IncorrectState.class),
                Arguments.of("InvalidInstanceID.NotFound", "", Call.OTHER, CloudException.NotFound.class),
                Arguments.of("InvalidNetworkInterfaceID.NotFound", "", Call.OTHER, CloudException.NotFound.class),
                Arguments.of("InvalidVolume.NotFound", "", Call.OTHER, CloudException.NotFound.class),
                Arguments.of("InvalidAttachmentID.NotFound", "", Call.OTHER, CloudException.NotFound.class),
                Arguments.of("InvalidAttachment.NotFound", "", Call.OTHER, CloudException.NotFound.class),
                Arguments.of("InvalidVolume.ZoneMismatch", "", Call.ATTACH, CloudException.ZoneMismatch.class),
                Arguments.of("AttachmentLimitExceeded", "", Call.ATTACH, CloudException.AttachmentLimit.class),
                Arguments.of("RequestLimitExceeded", "", Call.OTHER, CloudException.Throttled.class),
                Arguments.of("Throttling", "", Call.OTHER, CloudException.Throttled.class),
                Arguments.of("ThrottlingException", "", Call.OTHER, CloudException.Throttled.class),
                Arguments.of("ValidationError", "No active Lifecycle Action found with instance ID i-1", Call.OTHER,
                        CloudException.NoActiveLifecycleAction.class),
                Arguments.of("InvalidInstanceId", "", Call.OTHER, CloudException.AgentNotReady.class));
    }

    @ParameterizedTest(name = "{0} -> {3}")
    @MethodSource("mappedCodes")
    void translate_shouldMapToDomainException_whenCodeIsKnown(String code, String message, Call call,
                                                              Class<? extends CloudException> expected) {
        // GIVEN
        AwsServiceException aws = exception(code, message);

        // WHEN
        RuntimeException mapped = AwsErrors.translate(aws, call);

        // THEN
        assertThat(mapped).isExactlyInstanceOf(expected).hasCause(aws);
        assertThat(((CloudException) mapped).code()).isEqualTo(code);
    }

    @Test
    void translate_shouldRethrowUnchanged_whenInvalidParameterValueIsNotAnAttachRace() {
        // GIVEN
        AwsServiceException onAttach = exception("InvalidParameterValue",
                "Value (/dev/foo) for parameter device is invalid.");
        AwsServiceException onDescribe = exception("InvalidParameterValue", "already");

        // WHEN / THEN
        assertThat(AwsErrors.translate(onAttach, Call.ATTACH)).isSameAs(onAttach);
        assertThat(AwsErrors.translate(onDescribe, Call.OTHER)).isSameAs(onDescribe);
    }

    @Test
    void translate_shouldRethrowUnchanged_whenCodeIsUnknownOrValidationErrorIsAnotherOne() {
        // GIVEN
        AwsServiceException unauthorized = exception("UnauthorizedOperation", "not allowed");
        AwsServiceException validation = exception("ValidationError", "1 validation error detected");

        // WHEN / THEN
        assertThat(AwsErrors.translate(unauthorized, Call.OTHER)).isSameAs(unauthorized);
        assertThat(AwsErrors.translate(validation, Call.OTHER)).isSameAs(validation);
    }

    private static AwsServiceException exception(String code, String message) {
        return AwsServiceException.builder()
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(message).build())
                .statusCode(400)
                .build();
    }
}
