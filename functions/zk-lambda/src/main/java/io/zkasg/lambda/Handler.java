package io.zkasg.lambda;

import java.util.Map;

/**
 * The one skeleton of every function: parse the input (read and vet it; a rejected input is logged and answered as
 * ignored, with no AWS call), call the use case, log what it did (journal and metrics), answer with a summary. The
 * Lambda entry points ({@link EventHandler}, {@link LaunchResumeHandler}) run it once per event or message.
 *
 * @param <E> the accepted input
 * @param <R> what the use case returned
 */
public abstract class Handler<E, R> {

    final Wiring wiring;

    Handler(Wiring wiring) {
        this.wiring = wiring;
    }

    /** Parse, call, log, answer: what the function does with one input, in process. */
    public final Map<String, Object> handle(byte[] raw) {
        E input;
        try {
            input = parse(raw);
        } catch (BadEventException e) {
            wiring.journal().record("event-ignored", Map.of("reason", e.getMessage()));
            return Outcomes.ignored(e.getMessage());
        }
        var started = wiring.telemetry().start();
        var result = call(input);
        log(input, result, started);
        return answer(result);
    }

    /** Reads and vets the input, sets the journal's correlation id, records its receipt; throws when it is refused. */
    abstract E parse(byte[] raw) throws BadEventException;

    /** Calls the use case. */
    abstract R call(E input);

    /** Records what the call did: metrics of the invocation (started: {@link Telemetry#start()}), journal lines. */
    abstract void log(E input, R result, long started);

    /** The function's summary of the result. */
    abstract Map<String, Object> answer(R result);
}
