package io.zkasg.lambda.cracfake;

/** A resource failed after the restore. */
public class RestoreException extends Exception {
}
