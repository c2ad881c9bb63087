import Logging
import MaiRedaction
import MaiSQL
import MaiSystem

/// Exponential backoff with full jitter: after failure n the wait is uniform in [0, min(cap, base·2^(n-1))],
/// so replicas that failed together spread out instead of retrying in step.
public struct RetryPolicy: Equatable, Sendable {
    public var base: Duration = .milliseconds(200)
    public var cap: Duration = .seconds(5)
    /// Attempts stop once this much time has passed since the first.
    public var timeout: Duration = .seconds(60)

    public init(base: Duration = .milliseconds(200), cap: Duration = .seconds(5), timeout: Duration = .seconds(60)) {
        self.base = base
        self.cap = cap
        self.timeout = timeout
    }

    /// `random` is uniform in [0, 1).
    public func delay(afterFailure attempt: Int, random: Double) -> Duration {
        let doublings = min(max(attempt - 1, 0), 30)
        let ceiling = min(cap, base * (1 << doublings))
        return ceiling * min(max(random, 0), 1)
    }
}

/// Runs an operation until it succeeds, fails for good, runs out of time or is asked to stop.
public struct Retrier {
    public let policy: RetryPolicy
    public let logger: Logger
    public let stop: StopRequests
    /// Injectable so tests can fix the jitter and the clock.
    public var random: () -> Double = { Double.random(in: 0..<1) }
    public var now: () -> MonotonicInstant = { MonotonicInstant.now() }
    /// Strikes the secrets out of every line logged: a driver's message may quote what it was given.
    public var redactor = SecretRedactor()

    public init(policy: RetryPolicy, logger: Logger, stop: StopRequests) {
        self.policy = policy
        self.logger = logger
        self.stop = stop
    }

    /// `operation` gets the time left, to bound its own waits (locks, connecting).
    public func run<T>(_ operation: (Duration) throws(DatabaseError) -> T) throws(InitializationFailure) -> T {
        let started = now()
        var attempt = 1
        while true {
            if let signal = stop.pause(.zero) { throw .stopped(signal) }
            let remaining = policy.timeout - started.duration(to: now())
            do {
                return try operation(max(remaining, .zero))
            } catch {
                if case .interrupted(let signal) = error { throw .stopped(signal) }
                guard error.isTransient else { throw .permanent(error) }
                let left = policy.timeout - started.duration(to: now())
                guard left > .zero else { throw .timedOut(last: error, attempts: attempt, elapsed: started.duration(to: now())) }
                try wait(after: attempt, error, left: left)
            }
            attempt += 1
        }
    }

    private func wait(after attempt: Int, _ error: DatabaseError, left: Duration) throws(InitializationFailure) {
        let delay = min(policy.delay(afterFailure: attempt, random: random()), left)
        let reason = redactor.redact(error.description)
        // Waiting for the app's migration is expected while the server starts: said once, before the wait.
        let level: Logger.Level = if case .appTablesPending = error { .debug } else { .warning }
        logger.log(level: level, "Usage tracking database not ready (attempt \(attempt)): \(reason); retrying in \(delay.hundredthsText)s")
        if let signal = stop.pause(delay) { throw .stopped(signal) }
    }
}

extension Duration {
    /// Seconds with two decimals (`0.37`): backoff delays are often well under a second.
    var hundredthsText: String {
        let hundredths = max(0, (wholeMilliseconds + 5) / 10)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
