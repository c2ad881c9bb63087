import MaiSQL
import MaiSystem
import MaiTestSupport
import MaiUsageTracking
import Testing

@Suite("Retry with backoff")
struct RetryTests {
    let busy = DatabaseError.sqlite(SQLiteFailure(path: "/data/webui.db", code: 5, message: "database is locked"))
    let refused = DatabaseError.postgres(PostgresFailure(target: "postgresql://u:***@127.0.0.1:1/db", sqlState: nil,
                                                         message: "Connection refused", isTransient: true))
    let wrongPassword = DatabaseError.postgres(PostgresFailure(target: "postgresql://u:***@127.0.0.1:1/db", sqlState: nil,
                                                               message: "password authentication failed for user \"u\"", isTransient: false))

    @Test("full jitter: the n-th wait is random × min(cap, base·2^(n-1))")
    func fullJitter() {
        let policy = RetryPolicy(base: .milliseconds(200), cap: .seconds(5))
        #expect((1...7).map { policy.delay(afterFailure: $0, random: 0.5) }
            == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(2500), .milliseconds(2500)])
        #expect(policy.delay(afterFailure: 3, random: 0) == .zero)
        #expect(policy.delay(afterFailure: 40, random: 0.999_999) <= .seconds(5))
        #expect(policy.delay(afterFailure: 40, random: 0.999_999) > .milliseconds(4999))
    }

    @Test("transient errors are retried, each attempt logging its reason and the next delay")
    func retriesTransientErrors() throws {
        let fake = FakeTime()
        let recorder = LogRecorder()
        var retrier = Retrier(policy: RetryPolicy(base: .milliseconds(200), cap: .seconds(5), timeout: .seconds(60)),
                              logger: recorder.logger, stop: fake.stopRequests())
        retrier.now = fake.now
        retrier.random = { 0.5 }
        var attempts = 0
        let value = try retrier.run { _ throws(DatabaseError) -> String in
            attempts += 1
            if attempts == 1 { throw busy }
            if attempts < 4 { throw refused }
            return "done"
        }
        #expect(value == "done")
        #expect(attempts == 4)
        #expect(fake.waits == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(recorder.messages(at: .warning) == [
            "Usage tracking database not ready (attempt 1): SQLite database /data/webui.db: the database is locked by another connection (SQLITE_BUSY); retrying in 0.10s",
            "Usage tracking database not ready (attempt 2): PostgreSQL postgresql://u:***@127.0.0.1:1/db: Connection refused; retrying in 0.20s",
            "Usage tracking database not ready (attempt 3): PostgreSQL postgresql://u:***@127.0.0.1:1/db: Connection refused; retrying in 0.40s",
        ])
    }

    @Test("a permanent error fails at once, without waiting")
    func permanentFailsAtOnce() {
        let fake = FakeTime()
        var retrier = Retrier(policy: RetryPolicy(), logger: LogRecorder().logger, stop: fake.stopRequests())
        retrier.now = fake.now
        var attempts = 0
        #expect(throws: InitializationFailure.permanent(wrongPassword)) {
            try retrier.run { _ throws(DatabaseError) in
                attempts += 1
                throw wrongPassword
            }
        }
        #expect(attempts == 1)
        #expect(fake.waits.isEmpty)
    }

    @Test("attempts stop at the timeout; the last wait is cut to what is left")
    func timeout() {
        let fake = FakeTime()
        var retrier = Retrier(policy: RetryPolicy(base: .milliseconds(200), cap: .seconds(5), timeout: .seconds(1)),
                              logger: LogRecorder().logger, stop: fake.stopRequests())
        retrier.now = fake.now
        retrier.random = { 0.999_999_999 }
        var remainders: [Duration] = []
        #expect(throws: InitializationFailure.timedOut(last: refused, attempts: 4, elapsed: .seconds(1))) {
            try retrier.run { remaining throws(DatabaseError) in
                remainders.append(remaining)
                throw refused
            }
        }
        #expect(fake.waits.map { $0.roundedToMilliseconds } == [.milliseconds(200), .milliseconds(400), .milliseconds(400)])
        #expect(remainders.first == .seconds(1))
        #expect(remainders.last?.roundedToMilliseconds == .zero)
    }

    @Test("a stop request during a wait ends the retries at once")
    func stopDuringWait() {
        let fake = FakeTime()
        fake.stopAfterWaits = 2
        var retrier = Retrier(policy: RetryPolicy(), logger: LogRecorder().logger, stop: fake.stopRequests())
        retrier.now = fake.now
        var attempts = 0
        #expect(throws: InitializationFailure.stopped(.terminate)) {
            try retrier.run { _ throws(DatabaseError) in
                attempts += 1
                throw busy
            }
        }
        #expect(attempts == 2)
    }

    @Test("a stop request that interrupted the operation itself ends the retries too")
    func interruptedOperation() {
        let retrier = Retrier(policy: RetryPolicy(), logger: LogRecorder().logger, stop: .never())
        #expect(throws: InitializationFailure.stopped(.interrupt)) {
            try retrier.run { _ throws(DatabaseError) in throw .interrupted(.interrupt) }
        }
    }
}

/// A clock that moves only when the retrier waits, and a stop request that arrives after some waits.
final class FakeTime {
    private(set) var current = MonotonicInstant.now()
    private(set) var waits: [Duration] = []
    var stopAfterWaits: Int?

    func now() -> MonotonicInstant { current }

    func stopRequests() -> StopRequests {
        StopRequests { [self] duration in
            guard duration > .zero else { return nil }
            waits.append(duration)
            current = current.advanced(by: duration)
            return waits.count == stopAfterWaits ? .terminate : nil
        }
    }
}

extension Duration {
    var roundedToMilliseconds: Duration {
        .milliseconds(Int64((Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15).rounded()))
    }
}
