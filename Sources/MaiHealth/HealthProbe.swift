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

/// Open WebUI's answer when healthy: status 200 and a JSON body with `"status": true`, sent whole or in
/// `Transfer-Encoding: chunked` (a proxy or another server may chunk it, splitting the field across chunks).
struct HealthAnswer {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var verdict: ProbeResult {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let statusLine = text.split(separator: "\r\n", maxSplits: 1).first, !statusLine.isEmpty else {
            return .unhealthy("empty answer")
        }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return .unhealthy("not an HTTP answer") }
        guard parts[1] == "200" else { return .unhealthy("HTTP status \(parts[1])") }
        let separator = Array("\r\n\r\n".utf8)
        guard let headEnd = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return .unhealthy("no body") }
        var body = bytes[(headEnd + separator.count)...]
        if Self.isChunked(head: String(decoding: bytes[..<headEnd], as: UTF8.self)) {
            guard let decoded = Self.dechunked(body) else { return .unhealthy("a bad chunk in the body") }
            body = decoded[...]
        }
        let bodyText = String(decoding: body, as: UTF8.self)
        return Self.statusIsTrue(bodyText[...]) ? .healthy : .unhealthy("the body has no \"status\": true")
    }

    /// A `Transfer-Encoding` header (any case) naming `chunked`.
    static func isChunked(head: String) -> Bool {
        head.split(separator: "\r\n").dropFirst().contains { line in
            guard let colon = line.firstIndex(of: ":") else { return false }
            return line[..<colon].lowercased() == "transfer-encoding" && line[colon...].lowercased().contains("chunked")
        }
    }

    /// The chunks' data, in order: each `SIZE[;extension]\r\nDATA\r\n` up to the `0` chunk or the end of what
    /// arrived (an answer cut short is judged on what it holds); nil for a size that is not hexadecimal.
    static func dechunked(_ body: ArraySlice<UInt8>) -> [UInt8]? {
        var data: [UInt8] = []
        var rest = body
        let lineEnd = Array("\r\n".utf8)
        while let end = rest.indices.first(where: { rest[$0...].starts(with: lineEnd) }) {
            let sizeText = String(decoding: rest[..<end], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.filter { $0 != " " && $0 != "\t" }, radix: 16), size >= 0 else { return nil }
            if size == 0 { break }
            let start = end + lineEnd.count
            data += rest[start..<min(start + size, rest.endIndex)]
            guard start + size + lineEnd.count <= rest.endIndex else { break }
            rest = rest[(start + size + lineEnd.count)...]
        }
        return data
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
