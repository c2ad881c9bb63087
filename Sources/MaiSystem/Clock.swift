import Glibc

/// A point on the monotonic clock, for deadlines and uptimes that a change of wall time cannot disturb.
public struct MonotonicInstant: Comparable, Sendable {
    public let nanoseconds: Int64

    public static func now() -> MonotonicInstant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return MonotonicInstant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func advanced(by duration: Duration) -> MonotonicInstant {
        let (seconds, attoseconds) = duration.components
        return MonotonicInstant(nanoseconds: nanoseconds + seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    public func duration(to other: MonotonicInstant) -> Duration {
        .nanoseconds(other.nanoseconds - nanoseconds)
    }
}

/// The one sleep: the whole duration, whatever signal handlers run meanwhile. nanosleep(2) ends early with
/// EINTR when a handler runs and leaves in `remaining` what was left, which is then slept in turn. A zero or
/// negative duration returns at once.
public func sleepFor(_ duration: Duration) {
    guard duration > .zero else { return }
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
}

/// Wall-clock time as UTC calendar fields, for log timestamps.
public struct WallClockTime: Sendable {
    public let year, month, day, hour, minute, second, millisecond: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
        (self.year, self.month, self.day, self.hour, self.minute, self.second, self.millisecond) =
            (year, month, day, hour, minute, second, millisecond)
    }

    public static func now() -> WallClockTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        if let fixed = testClockSeconds() { ts = timespec(tv_sec: fixed, tv_nsec: 0) }
        return WallClockTime(utcSeconds: ts.tv_sec, millisecond: Int(ts.tv_nsec / 1_000_000))
    }

    /// The UTC calendar fields of `utcSeconds` after the epoch, by Howard Hinnant's `civil_from_days`. Not
    /// gmtime_r: glibc reads /etc/localtime at its first call (tzset), which UTC does not need, in every start.
    public init(utcSeconds: Int, millisecond: Int = 0) {
        let days = utcSeconds >= 0 ? utcSeconds / 86_400 : (utcSeconds - 86_399) / 86_400
        let time = utcSeconds - days * 86_400
        // Days since 0000-03-01 in eras of 400 years (146,097 days): March first, so that the leap day ends a year.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month,
                  day: dayOfYear - (153 * monthFromMarch + 2) / 5 + 1,
                  hour: time / 3_600, minute: time % 3_600 / 60, second: time % 60, millisecond: millisecond)
    }

    /// Whole seconds since the epoch (UTC), as the app's BIGINT timestamps hold them.
    public var epochSeconds: Int64 {
        var fields = tm()
        (fields.tm_year, fields.tm_mon, fields.tm_mday) = (Int32(year - 1900), Int32(month - 1), Int32(day))
        (fields.tm_hour, fields.tm_min, fields.tm_sec) = (Int32(hour), Int32(minute), Int32(second))
        return Int64(timegm(&fields))
    }

    /// `2026-11-25T21:50:00.123Z`
    public var iso8601: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(millisecond, 3))Z"
    }
}

extension Duration {
    /// Seconds with one decimal, as operators read them in logs (`11.8`).
    public var secondsText: String {
        let tenths = (components.seconds * 10) + components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    /// Whole milliseconds, rounded down (`1234 ms` in a log line).
    public var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }

    public var totalSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
