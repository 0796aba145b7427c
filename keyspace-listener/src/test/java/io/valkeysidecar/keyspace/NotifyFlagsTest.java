package io.valkeysidecar.keyspace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NotifyFlagsTest {

    @Test
    void mergeKeepsTheOperatorsFlagsAndAddsOurs() {
        assertThat(NotifyFlags.merge("", "EA")).isEqualTo("EA");
        assertThat(NotifyFlags.merge("Kl", "EA")).isEqualTo("KEA");
        assertThat(NotifyFlags.merge("KEA", "EA")).isEqualTo("KEA");
        assertThat(NotifyFlags.merge("Kx", "Ex")).isEqualTo("KEx");
        assertThat(NotifyFlags.merge("Em", "EA")).isEqualTo("EAm");
        assertThat(NotifyFlags.merge("KEA", "En")).as("new-key events are not part of A").isEqualTo("KEAn");
    }

    @Test
    void coversUnderstandsTheAllAlias() {
        assertThat(NotifyFlags.covers("KEA", "EA")).isTrue();
        assertThat(NotifyFlags.covers("Eg$lshzxetd", "EA")).isTrue();
        assertThat(NotifyFlags.covers("Eg$lshzxt", "EA")).isFalse();
        assertThat(NotifyFlags.covers("", "E")).isFalse();
        assertThat(NotifyFlags.covers("KEA", "En")).isFalse();
    }
}
