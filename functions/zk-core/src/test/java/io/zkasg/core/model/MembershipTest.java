package io.zkasg.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MembershipTest {

    /** What a Debian ZooKeeper 3.8.0 server answered to conf (reconfigEnabled, one participant), end without \n. */
    static final String CONF_3_8 = """
            clientPort=22181
            secureClientPort=-1
            dataDir=/tmp/resize-zk/data/version-2
            tickTime=2000
            serverId=1
            initLimit=10
            electionPort=23888
            quorumPort=22888
            peerType=0
            membership:\s
            server.1=127.0.0.1:22888:23888:participant;127.0.0.1:22181
            version=100000000""";

    @Test
    void parse_shouldReadServersRolesVersionAndServerId_fromZooKeeperConf() {
        // GIVEN a three-voter configuration with a fourth server syncing as an observer
        var conf = CONF_3_8.replace("server.1=127.0.0.1:22888:23888:participant;127.0.0.1:22181",
                "server.1=10.0.1.10:2888:3888:participant;0.0.0.0:2181\\n"
                        + "server.2=10.0.2.10:2888:3888:participant;2181\\n"
                        + "server.3=10.0.3.10:2888:3888;2181\\n"
                        + "server.4=10.0.1.11:2888:3888:observer;2181").replace("version=100000000",
                "version=20000002a\\n");

        // WHEN
        var membership = Membership.parse(conf.replace("\\n", "\n")).orElseThrow();

        // THEN
        assertThat(membership.voters()).containsExactly(1, 2, 3);
        assertThat(membership.servers().get(4).role()).isEqualTo("observer");
        assertThat(membership.servers().get(3).ip()).isEqualTo("10.0.3.10");
        assertThat(membership.version()).isEqualTo(0x20000002aL);
        assertThat(membership.versionHex()).isEqualTo("20000002a");
        assertThat(membership.serverId()).isEqualTo(1);
        assertThat(membership.votes(2, "10.0.2.10")).isTrue();
        assertThat(membership.votes(2, "10.0.2.99")).isFalse();
        assertThat(membership.votes(4, "10.0.1.11")).isFalse();
    }

    @Test
    void parse_shouldReadTheRealServersAnswer() {
        var membership = Membership.parse(CONF_3_8).orElseThrow();
        assertThat(membership.voters()).containsExactly(1);
        assertThat(membership.version()).isEqualTo(0x100000000L);
    }

    @Test
    void parse_shouldGiveNothing_withoutADynamicConfiguration() {
        // a standalone or pre-3.5 server, an answer cut before the version, a line that does not parse
        assertThat(Membership.parse("clientPort=2181\nserverId=0\n")).isEmpty();
        assertThat(Membership.parse("membership: \nserver.1=10.0.1.10:2888:3888:participant;2181\n")).isEmpty();
        assertThat(Membership.parse("membership: \nserver.x=10.0.1.10:2888:3888\nversion=1\n")).isEmpty();
        assertThat(Membership.parse("membership: \nserver.1=10.0.1.10\nversion=1\n")).isEmpty();
        assertThat(Membership.parse("membership: \nserver.1=10.0.1.10:2888:3888\nversion=zz\n")).isEmpty();
    }
}
