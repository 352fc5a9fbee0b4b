package io.zkasg.lambda.cracfake;

/** What org.crac calls: the global context and a checkpoint immediately followed by a restore. */
public final class Core {

    private static final Context<Resource> GLOBAL = new Context<>() {
    };

    private Core() {
    }

    public static Context<Resource> getGlobalContext() {
        return GLOBAL;
    }

    public static void checkpointRestore() throws CheckpointException, RestoreException {
        GLOBAL.beforeCheckpoint(null);
        GLOBAL.afterRestore(null);
    }
}
