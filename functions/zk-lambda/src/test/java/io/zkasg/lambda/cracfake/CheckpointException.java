package io.zkasg.lambda.cracfake;

/** A resource refused the checkpoint. */
public class CheckpointException extends Exception {
}
