import Foundation
import MaiOpenWebUI
@testable import MaiSQL
import MaiTestSupport
@testable import MaiUsageTracking
import Testing

/// The same classes, provoked for real: libpq's parser and the test server decide, no message is written here.
@Suite("Error classes against libpq and the test server", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct LiveErrorClassTests {
    /// A location libpq cannot parse, or one that cannot work, fails at once instead of for the whole timeout.
    @Test("an unusable location fails at once", arguments: [
        "postgresql://mai:pw@[::1", "postgresql://mai:a%00b@127.0.0.1:5432/db", "postgresql://mai:pw@/db",
        "postgresql://mai:pw@127.0.0.1:5432/db?host=/nonexistent", "postgresql://mai:pw@127.0.0.1:99999/db",
        "postgresql://mai:Abc@TAIL@127.0.0.1/db", "postgresql://mai:pw@127.0.0.1/db?sslmod=require",
    ])
    func unusableLocation(_ url: String) {
        let started = ContinuousClock.now
        let failure = initialize(["DATABASE_URL": url], timeout: .seconds(30)).failure
        // `.permanent` below is the proof that nothing was retried; the bound only tells it from the 30 s
        // timeout (it was 1 s of a 5 s timeout, which a loaded machine broke).
        #expect(ContinuousClock.now - started < .seconds(10))
        guard case .permanent = failure else {
            Issue.record("expected a permanent failure, got \(String(describing: failure))")
            return
        }
    }

    @Test("an unknown host name is retried until the timeout")
    func unknownHostIsRetried() {
        let recorder = LogRecorder()
        let failure = initialize(["DATABASE_URL": "postgresql://mai:pw@mai-no-such-host.invalid/db"], timeout: .milliseconds(800),
                                 recorder: recorder).failure
        guard case .timedOut(_, let attempts, _) = failure else {
            Issue.record("expected a timeout, got \(String(describing: failure))")
            return
        }
        #expect(attempts >= 2)
        #expect(recorder.messages(at: .warning).first?.contains("could not translate host name") == true)
    }
}

/// Issue 10's observations, through the real libpq and the real server: no 4-character piece of the password
/// in the failure or in any line logged, whichever way libpq or SQLAlchemy splits the URL.
@Suite("Secrets in driver messages", .enabled(if: TestPostgres.enabled, "MAI_TEST_SKIP_POSTGRES=1"))
struct SecretMessageTests {
    @Test("libpq's own texts hold no fragment of the password", arguments: [
        ("Abc@TAIL", "Abc@TAIL"), ("Secret/Tail99", "Secret/Tail99"), ("pw[::1Secret", "pw[::1Secret"),
        ("Ab%zzCdEf", "Ab%zzCdEf"), ("Ab%00CdEf", "Ab%00CdEf"), ("Abc%40TAIL%2Fxyz", "Abc@TAIL/xyz"),
        ("Zz:Yy?Xx#Ww", "Zz:Yy?Xx#Ww"),
    ])
    func noFragment(_ written: String, _ password: String) throws {
        let server = try TestPostgres.serverURL()
        let hostPort = String(server.split(separator: "@").last?.split(separator: "/").first ?? "127.0.0.1")
        for url in ["postgresql://mai_test:\(written)@\(hostPort)/postgres", "postgresql://mai_test:\(written)@\(hostPort)"] {
            let recorder = LogRecorder()
            let outcome = initialize(["DATABASE_URL": url], timeout: .milliseconds(300), recorder: recorder)
            let text = recorder.messages.joined(separator: "\n") + "\n" + String(describing: outcome.failure)
            for fragment in fragments(of: password) + fragments(of: written) {
                #expect(!text.contains(fragment), "\(url): \(fragment) in \(text)")
            }
        }
    }
}

/// Every 4-character substring.
func fragments(of secret: String) -> [String] {
    let characters = Array(secret)
    guard characters.count >= 4 else { return [secret] }
    return (0...(characters.count - 4)).map { String(characters[$0..<($0 + 4)]) }
}
