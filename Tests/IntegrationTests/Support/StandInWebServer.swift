import Foundation

/// The stand-in web server (Children/web_server.py): starts listening on 127.0.0.1 after a delay, answers
/// /health, and records each TERM, INT or HUP it gets as "NAME ready=True|False".
struct StandInWebServer {
    let port: Int
    let record: String

    init() throws {
        record = try makeTemporaryDirectory().appendingPathComponent("signals").path
        port = try freeLocalPort()
    }

    func command(delay: Double = 0) -> [String] {
        ["python3", child("web_server.py"), String(port), String(delay), record]
    }

    var url: String { "http://127.0.0.1:\(port)/health" }
    var environment: [String: String] { ["MAI_ENTRYPOINT_HEALTH_URL": url] }
    var received: [String] { readLines(record) }

    /// Its signal handlers are in place (before that, a signal would kill the interpreter outright).
    func waitUntilStarted() throws {
        try waitFor("\(record).started", timeout: .seconds(15)) { FileManager.default.fileExists(atPath: record + ".started") ? true : nil }
    }
}
