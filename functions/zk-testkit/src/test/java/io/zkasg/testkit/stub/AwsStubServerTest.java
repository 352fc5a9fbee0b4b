package io.zkasg.testkit.stub;

import static org.assertj.core.api.Assertions.assertThat;

import io.zkasg.testkit.stub.AwsStubServer.Service;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AwsStubServerTest {

    private final AwsStubServer stub = AwsStubServer.start();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        stub.close();
    }

    @Test
    void handle_shouldRouteByVersion_whenQueryProtocol() throws Exception {
        // GIVEN / WHEN
        HttpResponse<String> ec2 = form("Action=DescribeVolumes&Version=2016-11-15&Filter.1.Name=tag%3Azk");
        HttpResponse<String> asg = form("Action=DescribeAutoScalingInstances&Version=2011-01-01"
                + "&InstanceIds.member.1=i-1");

        // THEN
        assertThat(ec2.statusCode()).isEqualTo(200);
        assertThat(ec2.body()).contains("<DescribeVolumesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">");
        assertThat(asg.body()).contains("http://autoscaling.amazonaws.com/doc/2011-01-01/");
        assertThat(stub.requests()).extracting(AwsStubServer.Request::service)
                .containsExactly(Service.EC2, Service.AUTOSCALING);
        assertThat(stub.requests("DescribeVolumes").get(0).param("Filter.1.Name")).isEqualTo("tag:zk");
        assertThat(stub.requests("DescribeAutoScalingInstances").get(0).params("InstanceIds."))
                .containsExactly(Map.entry("InstanceIds.member.1", "i-1"));
    }

    @Test
    void handle_shouldRouteByTarget_whenJsonProtocol() throws Exception {
        // GIVEN / WHEN
        HttpResponse<String> ssm = json("AmazonSSM.SendCommand",
                "{\"DocumentName\":\"zk\",\"InstanceIds\":[\"i-1\"],\"TimeoutSeconds\":60}");

        // THEN
        assertThat(ssm.statusCode()).isEqualTo(200);
        assertThat(ssm.body()).contains("\"DocumentName\": \"zk\"", "\"TimeoutSeconds\": 60");
        assertThat(stub.requests("SendCommand").get(0).json())
                .containsEntry("DocumentName", "zk").containsEntry("InstanceIds", List.of("i-1"));
    }

    @Test
    void enqueue_shouldAnswerInOrderThenFallBack_whenRepliesQueued() throws Exception {
        // GIVEN
        stub.enqueue("AttachVolume", AwsStubServer.error("VolumeInUse", "vol-1 is in use"));
        stub.throttle("AttachVolume", 1);
        String body = "Action=AttachVolume&Version=2016-11-15&VolumeId=vol-1&InstanceId=i-1&Device=%2Fdev%2Fxvdf";

        // WHEN
        HttpResponse<String> first = form(body);
        HttpResponse<String> second = form(body);
        HttpResponse<String> third = form(body);

        // THEN
        assertThat(first.statusCode()).isEqualTo(400);
        assertThat(first.body()).contains("<Response><Errors><Error><Code>VolumeInUse</Code>");
        assertThat(second.statusCode()).isEqualTo(503);
        assertThat(second.body()).contains("<Code>RequestLimitExceeded</Code>");
        assertThat(third.statusCode()).isEqualTo(200);
        assertThat(third.body()).contains("<device>/dev/xvdf</device>");
        assertThat(stub.count("AttachVolume")).isEqualTo(3);
    }

    @Test
    void errorResponse_shouldUseServiceDialect_whenAutoScalingOrSsm() throws Exception {
        // GIVEN
        stub.enqueue("CompleteLifecycleAction", AwsStubServer.error("ValidationError", "No active Lifecycle Action"));
        stub.enqueue("SendCommand", AwsStubServer.error("InvalidInstanceId", "not registered"));

        // WHEN
        HttpResponse<String> asg = form("Action=CompleteLifecycleAction&Version=2011-01-01");
        HttpResponse<String> ssm = json("AmazonSSM.SendCommand", "{}");

        // THEN
        assertThat(asg.body()).contains("<ErrorResponse", "<Type>Sender</Type>", "<Code>ValidationError</Code>");
        assertThat(ssm.statusCode()).isEqualTo(400);
        assertThat(ssm.body()).isEqualToIgnoringWhitespace(
                "{\"__type\":\"InvalidInstanceId\",\"message\":\"not registered\"}");
        assertThat(ssm.headers().firstValue("Content-Type")).hasValue("application/x-amz-json-1.1");
    }

    @Test
    void render_shouldFailLoudly_whenPlaceholderHasNoValue() {
        // GIVEN / WHEN / THEN
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AwsStubServer.render("ec2/tag-item.xml",
                Map.of("key", "k"))).hasMessageContaining("${value}");
    }

    private HttpResponse<String> form(String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(stub.endpoint() + "/"))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> json(String target, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(stub.endpoint() + "/"))
                .header("Content-Type", "application/x-amz-json-1.1").header("X-Amz-Target", target)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
