import Glibc
import MaiSystem

/// What one probe found.
public enum ProbeResult: Sendable, Equatable {
    case healthy
    case unhealthy(String)
}

/// One GET of the health URL, driven by the caller's poll loop so that it never blocks the supervisor: the
/// caller waits on `interest`, calls `advance()` when it is ready, and reads `result` once it is set.
public final class HealthProbe {
    /// An answer larger than this is not a health answer.
    static let largestAnswer = 65_536

    private enum Stage { case connecting, sending, receiving }

    private let url: HealthURL
    private let connection: TCPConnection?
    private var stage = Stage.connecting
    private var request: [UInt8]
    private var answer: [UInt8] = []
    public private(set) var result: ProbeResult?
    public let deadline: MonotonicInstant

    public init(_ url: HealthURL, timeout: Duration) {
        self.url = url
        self.deadline = MonotonicInstant.now().advanced(by: timeout)
        self.request = Array("GET \(url.path) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: mai-entrypoint\r\nAccept: application/json\r\nConnection: close\r\n\r\n".utf8)
        do {
            connection = try TCPConnection(to: url.address)
        } catch {
            connection = nil
            result = .unhealthy(error.reason.lowercased())
        }
    }

    /// What to wait for next; nil once the probe is finished.
    public var interest: PollInterest? {
        guard result == nil, let connection else { return nil }
        return PollInterest(connection.descriptor, writable: stage != .receiving)
    }

    /// Moves the probe on when its descriptor was ready, and ends it once the deadline has passed.
    public func advance(ready: Bool, now: MonotonicInstant = .now()) {
        guard result == nil, let connection else { return }
        if ready {
            switch stage {
            case .connecting:
                if let error = connection.connectionError() { return finish(.unhealthy(error.reason.lowercased())) }
                stage = .sending
                send(connection)
            case .sending: send(connection)
            case .receiving: receive(connection)
            }
        }
        if result == nil && now >= deadline { finish(.unhealthy("no answer in time")) }
    }

    private func send(_ connection: TCPConnection) {
        let sent = request.withUnsafeBytes { write(connection.descriptor, $0.baseAddress, $0.count) }
        if sent < 0 {
            if errno != EAGAIN && errno != EINTR { finish(.unhealthy(SystemError("write").reason.lowercased())) }
            return
        }
        request.removeFirst(sent)
        if request.isEmpty { stage = .receiving }
    }

    private func receive(_ connection: TCPConnection) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let count = buffer.withUnsafeMutableBytes { read(connection.descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno != EAGAIN && errno != EINTR { finish(.unhealthy(SystemError("read").reason.lowercased())) }
            return
        }
        answer += buffer[0..<count]
        if count == 0 || answer.count > Self.largestAnswer { finish(HealthAnswer(answer).verdict) }
    }

    private func finish(_ verdict: ProbeResult) {
        result = verdict
    }
}

/// Open WebUI's answer when healthy: status 200 and a JSON body with `"status": true`.
struct HealthAnswer {
    let text: String

    init(_ bytes: [UInt8]) { text = String(decoding: bytes, as: UTF8.self) }

    var verdict: ProbeResult {
        guard let statusLine = text.split(separator: "\r\n", maxSplits: 1).first, !statusLine.isEmpty else {
            return .unhealthy("empty answer")
        }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return .unhealthy("not an HTTP answer") }
        guard parts[1] == "200" else { return .unhealthy("HTTP status \(parts[1])") }
        guard let bodyStart = text.firstRange(of: "\r\n\r\n")?.upperBound else { return .unhealthy("no body") }
        return Self.statusIsTrue(text[bodyStart...]) ? .healthy : .unhealthy("the body has no \"status\": true")
    }

    /// `"status"`, optional blanks, `:`, optional blanks, `true`: the one field that matters, without a JSON parser.
    static func statusIsTrue(_ body: Substring) -> Bool {
        var rest = body
        while let key = rest.firstRange(of: "\"status\"") {
            let after = rest[key.upperBound...].drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
            if after.hasPrefix(":") {
                let value = after.dropFirst().drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
                if value.hasPrefix("true") { return true }
            }
            rest = rest[key.upperBound...]
        }
        return false
    }
}

/// Runs one probe to its end, blocking: for the `healthcheck` command, not for the supervisor's loop.
public func checkHealth(_ url: HealthURL, timeout: Duration) -> ProbeResult {
    let probe = HealthProbe(url, timeout: timeout)
    while probe.result == nil, let interest = probe.interest {
        let remaining = MonotonicInstant.now().duration(to: probe.deadline)
        let ready = (try? waitForEvents([interest], timeout: max(.zero, remaining))) ?? []
        probe.advance(ready: ready.contains(interest.descriptor))
    }
    return probe.result ?? .unhealthy("no answer")
}
