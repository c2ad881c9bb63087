import Foundation
import Testing

/// The README's option table is the operator's reference: every option the run's `--help` lists has its row
/// there (`| `--option …`), so that a new option cannot land undocumented.
@Suite("README")
struct ReadmeOptionsTests {
    @Test("the option table names every option of --help")
    func everyOptionHasARow() throws {
        let help = try runProgram(["--help"])
        let options = Set(help.stdout.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.drop { $0 == " " }
            guard trimmed.hasPrefix("--") else { return nil }
            return String(trimmed.prefix { $0 == "-" || $0.isLetter })
        }).subtracting(["--help"])
        #expect(options.count > 20, "\(help.stdout)")
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let rows = try String(contentsOf: readme, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("| `--") }
        for option in options.sorted() {
            #expect(rows.contains { $0.hasPrefix("| `\(option)") }, "README.md has no row for \(option)")
        }
    }
}
