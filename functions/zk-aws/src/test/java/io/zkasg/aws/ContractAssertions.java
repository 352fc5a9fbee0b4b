package io.zkasg.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.zkasg.core.port.CloudException;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** What the port contracts check again and again, written once. */
final class ContractAssertions {

    private ContractAssertions() {
    }

    /**
     * {@code call} fails as AWS refuses it: the domain's {@code kind}, carrying AWS's error {@code code}. Returns the
     * error for further checks.
     */
    static CloudException assertRefused(ThrowingCallable call, Class<? extends CloudException> kind, String code) {
        var thrown = catchThrowable(call);
        assertThat(thrown).isInstanceOf(kind);
        assertThat(((CloudException) thrown).code()).isEqualTo(code);
        return (CloudException) thrown;
    }
}
