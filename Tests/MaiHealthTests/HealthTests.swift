@testable import MaiHealth
import Testing

@Suite struct HealthURLTests {
    @Test func parsesAddressPortAndPath() throws {
        let url = try HealthURL("http://127.0.0.1:8080/health")
        #expect(url.address.host == "127.0.0.1" && url.address.port == 8080 && url.path == "/health")
        let v6 = try HealthURL("http://[::1]:3000/health?x=1")
        #expect(v6.address.family == .v6 && v6.address.port == 3000 && v6.path == "/health?x=1")
        let local = try HealthURL("http://localhost/")
        #expect(local.address.host == "127.0.0.1" && local.address.port == 80)
    }

    @Test func defaultFollowsPort() throws {
        #expect(try HealthURL.openWebUI(port: nil).description == "http://127.0.0.1:8080/health")
        #expect(try HealthURL.openWebUI(port: "3000").description == "http://127.0.0.1:3000/health")
        #expect(throws: HealthURLError.self) { try HealthURL.openWebUI(port: "eighty") }
    }

    @Test func refusesWhatItCannotProbe() {
        for text in ["https://127.0.0.1/health", "http://example.com/health", "http://127.0.0.1:0/", "http://[::1/"] {
            #expect(throws: HealthURLError.self, "\(text)") { try HealthURL(text) }
        }
    }
}

@Suite struct HealthAnswerTests {
    func verdict(_ text: String) -> ProbeResult { HealthAnswer(Array(text.utf8)).verdict }

    @Test func healthyNeeds200AndStatusTrue() {
        #expect(verdict("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"status\": true}") == .healthy)
        #expect(verdict("HTTP/1.1 200 OK\r\n\r\n{\"version\":\"1\",\"status\" :true}") == .healthy)
        #expect(verdict("HTTP/1.1 200 OK\r\n\r\n{\"status\": false}") == .unhealthy("the body has no \"status\": true"))
        #expect(verdict("HTTP/1.1 503 Service Unavailable\r\n\r\n{\"status\": true}") == .unhealthy("HTTP status 503"))
        #expect(verdict("") == .unhealthy("empty answer"))
        #expect(verdict("SSH-2.0-OpenSSH\r\n") == .unhealthy("not an HTTP answer"))
    }

    @Test func chunkedBodyIsDecoded() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(verdict(head + "9\r\n{\"status\"\r\n7\r\n: true}\r\n0\r\n\r\n") == .healthy)
        #expect(verdict(head.replacing("Transfer-Encoding", with: "transfer-encoding") + "3;x=1\r\n{\"s\r\nd\r\ntatus\": true}\r\n0\r\n\r\n") == .healthy)
        #expect(verdict(head + "9\r\n{\"status\"\r\n8\r\n: false}\r\n0\r\n\r\n") == .unhealthy("the body has no \"status\": true"))
        #expect(verdict(head + "zz\r\n{\"status\": true}\r\n") == .unhealthy("a bad chunk in the body"))
    }
}
