package io.zkasg.lambda.cracfake;

/** The resource type org.crac proxies to. */
public interface Resource {

    void beforeCheckpoint(Context<? extends Resource> context) throws Exception;

    void afterRestore(Context<? extends Resource> context) throws Exception;
}
