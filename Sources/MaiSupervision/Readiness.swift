import Glibc
import MaiHealth
import MaiSystem

public struct ReadinessConfiguration: Sendable {
    public var url: HealthURL
    /// After this, probing stops with a warning.
    public var readyTimeout: Duration = .seconds(300)
    /// How long a TERM or INT is held back while the server is starting; zero forwards at once.
    public var startupGrace: Duration = .seconds(20)

    public init(url: HealthURL) { self.url = url }
}

/// Probes the web server until it answers healthy, with a growing pause between probes, then never again:
/// a ready server costs the supervisor no wake-up. With Open WebUI's default URL, PORT is only a first guess:
/// after each failed probe it looks where the child's process tree listens and follows the server there.
struct Readiness {
    enum Event {
        case ready(Duration)
        case gaveUp
        /// The server listens elsewhere than the URL probed so far: probing moved there.
        case switched(from: HealthURL, to: HealthURL)
    }

    static let firstPause: Duration = .milliseconds(50)
    // Every 50 ms while the server starts (a refused connect on loopback costs microseconds): the supervisor
    // sees the server ready within about 50 ms of its first healthy answer, which is when `healthcheck` may
    // turn green (`SupervisorState.starting`), and a held stop is released as soon.
    static let longestPause: Duration = .milliseconds(50)
    static let probeTimeout: Duration = .seconds(2)

    let configuration: ReadinessConfiguration
    let started: MonotonicInstant
    /// The child: where its process tree listens is where the server is.
    let child: pid_t
    /// What is probed now: the configured URL, or where the server was found listening.
    private(set) var url: HealthURL
    private(set) var probe: HealthProbe?
    private var nextProbe: MonotonicInstant
    private var pause = Readiness.firstPause
    private(set) var finished = false
    private(set) var isReady = false

    init(_ configuration: ReadinessConfiguration, started: MonotonicInstant, child: pid_t) {
        self.configuration = configuration
        self.started = started
        self.child = child
        self.url = configuration.url
        self.nextProbe = started
    }

    var interest: PollInterest? { finished ? nil : probe?.interest }

    /// When the loop must wake up for readiness, or nil once it is settled.
    var nextWake: MonotonicInstant? {
        guard !finished else { return nil }
        return min(probe?.deadline ?? nextProbe, started.advanced(by: configuration.readyTimeout))
    }

    /// Starts a probe when one is due, moves the current one on, and reports the end of the wait.
    mutating func step(readyDescriptors: Set<Int32>, now: MonotonicInstant = .now()) -> Event? {
        guard !finished else { return nil }
        if let probe {
            probe.advance(ready: probe.interest.map { readyDescriptors.contains($0.descriptor) } ?? false, now: now)
            if let result = probe.result {
                self.probe = nil
                if result == .healthy { return settle(ready: true, now: now) }
                if let moved = followServer() {
                    // Probe the new place at once: the server may already answer there.
                    nextProbe = now
                    return moved
                }
                nextProbe = now.advanced(by: pause)
                pause = min(pause * 3 / 2, Readiness.longestPause)
            }
        }
        if now >= started.advanced(by: configuration.readyTimeout) { return settle(ready: false, now: now) }
        if probe == nil && now >= nextProbe {
            let started = HealthProbe(url, timeout: Readiness.probeTimeout)
            probe = started
            if started.result != nil { return step(readyDescriptors: [], now: now) }
        }
        return nil
    }

    /// After a failed probe of the default URL: when the child's tree listens, and not where the probe went,
    /// moves the URL to the first place it listens. Only while not ready, so it never costs an idle wake-up.
    private mutating func followServer() -> Event? {
        guard url.followsServer, let moved = url.following(listeningAddresses(ofProcessTree: child)) else { return nil }
        let previous = url
        url = moved
        return .switched(from: previous, to: moved)
    }
    /// The child has exited: nothing left to wait for.
    mutating func cancel() {
        finished = true
        probe = nil
    }

    private mutating func settle(ready: Bool, now: MonotonicInstant) -> Event {
        finished = true
        isReady = ready
        probe = nil
        return ready ? .ready(started.duration(to: now)) : .gaveUp
    }
}
