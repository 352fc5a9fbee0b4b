package io.zkasg.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zkasg.core.HookTicket;
import io.zkasg.core.model.LifecycleRef;
import java.time.Instant;
import java.util.regex.Pattern;

/** The JSON form of a {@link HookTicket} in the resume queue. */
final class TicketCodec {

    private static final Pattern CHAIN = Pattern.compile("[0-9a-f]{16}");

    private final ObjectMapper json;

    TicketCodec(ObjectMapper json) {
        this.json = json;
    }

    private record Wire(int version, String group, String hook, String instanceId, String token, String startedAt,
                        String lastHeartbeat, int attempt, String chain) {
    }

    String encode(HookTicket t) {
        try {
            return json.writeValueAsString(new Wire(1, t.ref().groupName(), t.ref().hookName(), t.instanceId(),
                    t.ref().token(), t.startedAt().toString(), t.lastHeartbeat().toString(), t.attempt(), t.chain()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a hook ticket", e);
        }
    }

    HookTicket decode(String body) throws BadEventException {
        try {
            var w = json.readValue(body, Wire.class);
            if (w.version() != 1 || w.group() == null || w.hook() == null || w.instanceId() == null
                    || w.startedAt() == null || w.lastHeartbeat() == null || w.attempt() < 1
                    || w.chain() == null || !CHAIN.matcher(w.chain()).matches()) {
                throw new BadEventException("resume message is not a version-1 hook ticket");
            }
            return new HookTicket(new LifecycleRef(w.group(), w.hook(), w.instanceId(), w.token()),
                    Instant.parse(w.startedAt()), Instant.parse(w.lastHeartbeat()), w.attempt(), w.chain());
        } catch (JsonProcessingException | java.time.format.DateTimeParseException e) {
            throw new BadEventException("resume message is not a hook ticket: " + e.getMessage());
        }
    }
}
