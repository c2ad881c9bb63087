import Glibc
import MaiSystem
import Testing

@Suite struct TextEscapingTests {
    @Test("the one escape: control characters shown, anything else as given")
    func escape() {
        #expect(escapingControlCharacters("plain ü") == "plain ü")
        #expect(escapingControlCharacters("a\r\nb\tc\u{1B}[31m\u{7F}\u{85}") == #"a\r\nb\tc\u{1B}[31m\u{7F}\u{85}"#)
    }

    @Test("the quoting formats built on it")
    func quoting() {
        #expect(logfmtValue("a") == "a")
        #expect(logfmtValue("") == #""""#)
        #expect(logfmtValue("a b\"c\\\n") == #""a b\"c\\\n""#)
        #expect(doubleQuoted("$x\"\u{1B}", backslashing: "$\"") == #""\$x\"\u{1B}""#)
        #expect(jsonString("a\"b\\c\nd\u{1}\u{85}") == #""a\"b\\c\nd\u0001\u0085""#)
    }
}

@Suite struct SleepAndWriteTests {
    @Test("the sleep lasts its whole duration though a signal handler runs in the middle")
    func sleepResumesAfterSignal() throws {
        interruptions = 0
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptions += 1 }
        var previous = sigaction()
        sigaction(SIGURG, &action, &previous)
        defer { sigaction(SIGURG, &previous, nil) }
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGURG)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)

        let target = UnsafeMutablePointer<pthread_t>.allocate(capacity: 1)
        target.pointee = pthread_self()
        var signaller = pthread_t()
        let start = MonotonicInstant.now()
        try #require(pthread_create(&signaller, nil, { argument in
            usleep(50_000)
            pthread_kill(argument!.assumingMemoryBound(to: pthread_t.self).pointee, SIGURG)
            return nil
        }, target) == 0)
        sleepFor(.milliseconds(300))
        let slept = start.duration(to: .now())
        pthread_join(signaller, nil)
        target.deallocate()
        #expect(interruptions == 1)
        #expect(slept >= .milliseconds(300))
    }

    @Test("writeAll writes every byte, and throws EPIPE once the reader is gone")
    func writeAllBytes() throws {
        let pipe = try Pipe()
        defer { close(pipe.readEnd); close(pipe.writeEnd) }
        try writeAll(pipe.writeEnd, "héllo")
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = read(pipe.readEnd, &buffer, buffer.count)
        #expect(Array(buffer[0..<max(0, count)]) == Array("héllo".utf8))
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        close(pipe.readEnd)
        #expect(throws: SystemError("write", errno: EPIPE)) { try writeAll(pipe.writeEnd, [1, 2, 3]) }
    }

    @Test func wholeMilliseconds() {
        #expect(Duration.milliseconds(1234).wholeMilliseconds == 1234)
        #expect((Duration.seconds(2) + .microseconds(999)).wholeMilliseconds == 2000)
    }
}

nonisolated(unsafe) private var interruptions = 0

@Suite struct WallClockTests {
    /// The log timestamp's calendar, computed without gmtime_r (issue 23), agrees with gmtime_r: the epoch, leap
    /// days, century years, times before 1970 and a spread of instants over 1900–2400.
    @Test func calendarFieldsAgreeWithGmtime() {
        var instants = [0, -1, 86_399, 86_400, 951_782_400, 951_868_799, 4_107_542_400, 4_107_628_800,
                        -2_208_988_800, 13_569_465_600, 1_798_761_599, 1_798_761_600]
        var generator = SystemRandomNumberGenerator()
        instants += (0..<2_000).map { _ in Int.random(in: -2_208_988_800...13_569_465_600, using: &generator) }
        for instant in instants {
            var seconds = instant
            var fields = tm()
            gmtime_r(&seconds, &fields)
            let time = WallClockTime(utcSeconds: instant)
            let expected = [Int(fields.tm_year) + 1900, Int(fields.tm_mon) + 1, Int(fields.tm_mday),
                            Int(fields.tm_hour), Int(fields.tm_min), Int(fields.tm_sec)]
            #expect([time.year, time.month, time.day, time.hour, time.minute, time.second] == expected, "\(instant)")
            #expect(time.epochSeconds == Int64(instant), "\(instant)")
        }
    }
}
