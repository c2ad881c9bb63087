import MaiEnvironment
import MaiTestSupport
import Testing

/// Hostile files must end in a value or a clear error, never a crash or a hang.
@Suite struct FuzzTests {
    /// Fragments that exercise every branch of the parser, so random joins reach deep into it.
    static let fragments = [
        "A", "B_1", "export ", "=", "==", " ", "\t", "\n", "\r\n", "\r", "#", " # ", "'", "\"", "\\", "\\\"", "\\'",
        "$", "$$", "${", "}", ":-", "-", "${A}", "${A:-", "$A", "x", "é", "😀", "\u{FEFF}", "\0", "\u{0B}",
    ]

    @Test func randomBytes() throws {
        var random = SplitMix64(seed: 1)
        let folder = try TemporaryFolder()
        for round in 0..<400 {
            let bytes = (0..<Int.random(in: 0...600, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            try expectValueOrError(try folder.write("random-\(round).env", bytes: bytes), lineCount: lineCount(bytes))
        }
    }

    @Test func randomFragments() throws {
        var random = SplitMix64(seed: 2)
        let folder = try TemporaryFolder()
        for round in 0..<1500 {
            let text = (0..<Int.random(in: 0...60, using: &random)).map { _ in Self.fragments.randomElement(using: &random) ?? "" }.joined()
            try expectValueOrError(try folder.write("fragments-\(round).env", text), lineCount: lineCount(Array(text.utf8)))
        }
    }

    @Test func hugeLineIsAnError() throws {
        let line = "A=" + String(repeating: "0123456789abcdef", count: 200_000)
        #expect(syntaxProblem(line)?.problem == .valueTooLong(name: "A", limit: 32 * 4096 - 1))
    }

    @Test func oneMebibyteValueIsAnError() throws {
        let value = String(repeating: "v", count: 1 << 20)
        #expect(syntaxProblem("A=1\nBIG=\"\(value)\"\n")?.line == 2)
        #expect(syntaxProblem("A=1\nBIG=\"\(value)\"\n")?.problem == .valueTooLong(name: "BIG", limit: 32 * 4096 - 1))
    }

    @Test func deepNestingIsAnError() throws {
        let text = "A=" + String(repeating: "${B:-", count: 100_000) + String(repeating: "}", count: 100_000)
        #expect(syntaxProblem(text)?.problem == .expansionTooDeep(name: "A", limit: 32))
        let unclosed = "A=" + String(repeating: "${B:-", count: 100_000)
        #expect(syntaxProblem(unclosed)?.problem == .expansionTooDeep(name: "A", limit: 32))
    }

    @Test func selfReferenceDoublingStopsAtTheLimit() throws {
        let text = "A=x\n" + String(repeating: "A=${A}${A}\n", count: 40)
        let found = syntaxProblem(text)
        #expect(found?.problem == .valueTooLong(name: "A", limit: 32 * 4096 - 1))
        // Line k+1 makes A 2^k long; 2^17 is the first over the limit.
        #expect(found?.line == 18)
    }

    @Test func selfReferenceWithoutValueIsEmpty() throws {
        #expect(try value("A", in: "A=${A}${A:-${A}}\n").get() == "")
    }

    @Test func repeatedLargeExpansionsHitTheBudget() throws {
        let big = String(repeating: "b", count: 100_000)
        let text = "B=\(big)\n" + (0..<400).map { "A\($0)=${B}\n" }.joined()
        let started = ContinuousClock.now
        let found = syntaxProblem(text)
        // B's 100 000 bytes and 167 copies (A0...A166) are the first to pass 16 MiB.
        #expect(found?.problem == .expansionBudgetExceeded(name: "A166", limit: 16 * 1024 * 1024))
        #expect(found?.line == 168)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func manyLinesLoadInLinearTime() throws {
        let text = (0..<50_000).map { "VARIABLE_\($0)=value-${VARIABLE_\($0 / 2)}\n" }.joined()
        let started = ContinuousClock.now
        let loaded = try load(text)
        #expect(loaded.variables.count == 50_000)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    private func expectValueOrError(_ path: String, lineCount: Int) throws {
        let loader = EnvironmentLoader(request: EnvironmentRequest(files: [path]), processEnvironment: ["A=1"])
        do {
            let loaded = try loader.load()
            for variable in loaded.variables { #expect(!variable.value.utf8.contains(0)) }
        } catch .syntax(let location, _) {
            #expect(location.file == path)
            #expect((1...lineCount).contains(location.line))
        } catch {
            Issue.record("\(error) is not an error on a line of \(path)")
        }
    }

    /// Lines as the parser counts them: LF, CRLF and CR each end one.
    private func lineCount(_ bytes: [UInt8]) -> Int {
        var count = 1
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A && !(index > 0 && bytes[index - 1] == 0x0D) { count += 1 }
            if byte == 0x0D { count += 1 }
        }
        return count
    }
}
