package io.zkasg.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JournalFieldsTest {

    @Test
    void line_shouldKeepTheOrderGiven_andDropATrailingKeyWithoutValue() {
        var line = JournalFields.line("serving", 2, "quorum", 2, "dangling");
        assertThat(line).containsExactly(java.util.Map.entry("serving", 2), java.util.Map.entry("quorum", 2));
    }

    @Test
    void fields_shouldPutTheInstanceIdFirst() {
        var line = JournalFields.fields("i-1", "nodeId", 3, "az", "us-east-1a");
        assertThat(line.keySet()).containsExactly("instanceId", "nodeId", "az");
        assertThat(line).containsEntry("instanceId", "i-1").containsEntry("nodeId", 3);
    }
}
