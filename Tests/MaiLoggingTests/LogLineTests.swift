import Foundation
import Logging
import MaiLogging
import MaiSystem
import Testing

@Suite struct LogLineTests {
    func line(_ message: String, _ fields: Logger.Metadata = [:], level: Logger.Level = .info) -> LogLine {
        LogLine(timestamp: "2026-11-25T21:50:00.123Z", tag: "mai-entrypoint", level: level, message: message, fields: fields)
    }

    @Test func textFormat() {
        let text = line("child started", ["pid": .stringConvertible(12), "command": "uvicorn"]).rendered(as: .text)
        #expect(text == "2026-11-25T21:50:00.123Z [mai-entrypoint] info: child started command=uvicorn pid=12")
    }

    @Test func textQuotesValuesWithSpacesAndKeepsOneLine() {
        let text = line("two\nlines", ["command": "bash start.sh", "quote": "say \"hi\""]).rendered(as: .text)
        #expect(text == #"2026-11-25T21:50:00.123Z [mai-entrypoint] info: two\nlines command="bash start.sh" quote="say \"hi\"""#)
    }

    @Test func jsonFormat() {
        let json = line("exiting", ["exit_status": .stringConvertible(Int32(143)), "reason": "clean stop"], level: .warning)
            .rendered(as: .json)
        #expect(json == #"{"ts":"2026-11-25T21:50:00.123Z","level":"warning","tag":"mai-entrypoint","msg":"exiting","exit_status":143,"reason":"clean stop"}"#)
    }

    /// JSON has no NaN or infinity: a bare `nan` makes the whole line unreadable to a log collector.
    @Test func jsonNonFiniteNumbersBecomeStrings() throws {
        let fields: Logger.Metadata = [
            "nan": .stringConvertible(Double.nan), "inf": .stringConvertible(Double.infinity),
            "minus_inf": .stringConvertible(-Double.infinity), "float_nan": .stringConvertible(Float.nan),
            "half": .stringConvertible(0.5), "big": .stringConvertible(1e300), "count": .stringConvertible(3),
        ]
        let json = line("numbers", fields).rendered(as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        #expect(object["nan"] as? String == "nan")
        #expect(object["inf"] as? String == "inf")
        #expect(object["minus_inf"] as? String == "-inf")
        #expect(object["float_nan"] as? String == "nan")
        #expect(object["half"] as? Double == 0.5)
        #expect(object["big"] as? Double == 1e300)
        #expect(object["count"] as? Int == 3)
    }

    @Test func jsonEscapesControlCharacters() {
        #expect(jsonString("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\u0001""#)
    }

    @Test func levelsMapToFourNames() {
        #expect(line("x", level: .notice).rendered(as: .text).contains(" info: "))
        #expect(line("x", level: .critical).rendered(as: .text).contains(" error: "))
        #expect(line("x", level: .trace).rendered(as: .text).contains(" debug: "))
    }
}
