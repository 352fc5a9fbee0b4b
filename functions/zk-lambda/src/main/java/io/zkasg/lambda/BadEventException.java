package io.zkasg.lambda;

/** The input is not an event this function can act on; the message says why. */
final class BadEventException extends Exception {

    BadEventException(String message) {
        super(message);
    }
}
