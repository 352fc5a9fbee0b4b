/**
 * A checkpoint/restore implementation for tests, in the shape org.crac looks for: with the system property
 * {@code org.crac.Core.Compat=io.zkasg.lambda.cracfake}, org.crac binds to these classes instead of the JDK's
 * {@code jdk.crac} (which a plain JDK does not have), so {@code org.crac.Core.checkpointRestore()} runs every
 * registered resource's {@code beforeCheckpoint} then {@code afterRestore}, as SnapStart does around its snapshot.
 * Like the JDK's, the global context keeps what org.crac registers; org.crac itself holds the application's resources
 * weakly.
 */
package io.zkasg.lambda.cracfake;
