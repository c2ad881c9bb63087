@testable import MaiHealth
import Testing

/// What a health URL may not carry onto the wire, and the one line that says so (issue 9, point 7).
@Suite struct HealthURLSafetyTests {
    @Test("a space, CR, LF or any control character is refused: it would end up in the request line",
          arguments: ["http://127.0.0.1:8080/health\r\nX-Injected: 1", "http://127.0.0.1:8080/health\nX: 1",
                      "http://127.0.0.1:8080/he alth", "http://127.0.0.1:8080/health\t", "http://127.0.0.1:8080/\u{7F}",
                      "http://127.0.0.1:8080/\u{0}", "http://127.0.0.1:8080/\u{85}", "http://127.0.0.1 :8080/health"])
    func controlCharactersRefused(text: String) {
        #expect {
            try HealthURL(text)
        } throws: { error in
            guard let error = error as? HealthURLError else { return false }
            return error.description.contains("space or control character")
                && !error.description.contains(where: { $0.isNewline || $0 == "\t" || $0 == "\u{0}" })
        }
    }

    @Test func httpsSaysOnlyHTTP() {
        #expect {
            try HealthURL("https://127.0.0.1:8080/health")
        } throws: { error in
            (error as? HealthURLError)?.description == "https://127.0.0.1:8080/health: only http:// is supported (the probe speaks plain HTTP to a server in the same container)"
        }
    }

    @Test func ordinaryURLsStillAccepted() throws {
        #expect(try HealthURL("http://127.0.0.1:8080/health?probe=1&x=%20").path == "/health?probe=1&x=%20")
    }

}
