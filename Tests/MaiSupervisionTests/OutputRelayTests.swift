import Glibc
import MaiSupervision
import MaiSystem
import Testing

/// The relay from a real pipe (the child's end) to a file standing for the supervisor's stdout.
@Suite struct OutputRelayTests {
    func relay(_ pieces: [String]) throws -> String {
        let child = try Pipe()
        var template = Array("/tmp/mai-relay-XXXXXX".utf8CString)
        let out = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { Glibc.close(out); unlink(path) }
        let relay = try OutputRelay(source: child.readEnd, destination: out, tag: "t")
        for piece in pieces {
            // In slices smaller than a pipe holds, so that the writer never waits for the reader.
            var bytes = Array(piece.utf8)[...]
            while !bytes.isEmpty {
                let slice = bytes.prefix(16_384)
                try? writeAll(child.writeEnd, Array(slice))
                bytes = bytes.dropFirst(slice.count)
                try relay.pump()
            }
        }
        Glibc.close(child.writeEnd)
        try relay.drain()
        return try readSmallFile(path)
    }

    @Test func linesArrivingInPiecesStayWhole() throws {
        #expect(try relay(["one\ntw", "o\nthr", "ee", "\n"]) == "[t] one\n[t] two\n[t] three\n")
    }

    @Test func lastLineWithoutNewlineIsWrittenAtEnd() throws {
        #expect(try relay(["a\nb"]) == "[t] a\n[t] b\n")
    }

    @Test func emptyLinesAreKept() throws {
        #expect(try relay(["\n\nx\n"]) == "[t] \n[t] \n[t] x\n")
    }

    @Test func overlongLineIsSplitAtTheBound() throws {
        let long = String(repeating: "x", count: OutputRelay.longestLine + 10)
        let output = try relay([long + "\n"])
        let lines = output.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].count == OutputRelay.longestLine + 4)
    }
}
