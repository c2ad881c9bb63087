import MaiEnvironment
import Testing

@Suite struct ParserTests {
    @Test func quotedValueKeepsWhatUnquotedTrims() throws {
        let loaded = try load("A=  x  \nB=\"  x  \"\nC='  x  '\n")
        #expect(loaded.values["A"] == "x")
        #expect(loaded.values["B"] == "  x  ")
        #expect(loaded.values["C"] == "  x  ")
    }

    @Test func escapesAreReadOnceLeftToRight() throws {
        #expect(try value("A", in: #"A="\\n""#).get() == #"\n"#)
        #expect(try value("A", in: #"A="\\\n""#).get() == "\\\n")
        #expect(try value("A", in: #"A="a\"b""#).get() == "a\"b")
    }

    @Test func referencesSeeOnlyEarlierLines() throws {
        let loaded = try load("A=${B}\nB=1\nC=${B}\n")
        #expect(loaded.values["A"] == "")
        #expect(loaded.values["C"] == "1")
    }

    @Test func environmentValueIsUsedInReferencesUnlessOverridden() throws {
        let text = "HOST=file\nURL=http://${HOST}/\n"
        #expect(try load(text, environment: ["HOST=env"]).values["URL"] == "http://env/")
        #expect(try load(text, environment: ["HOST=env"], override: true).values["URL"] == "http://file/")
    }

    @Test func braceNestingHasALimit() throws {
        let allowed = String(repeating: "${X:-", count: 32) + "v" + String(repeating: "}", count: 32)
        #expect(try value("A", in: "A=\(allowed)").get() == "v")
        let tooDeep = String(repeating: "${X:-", count: 33) + "v" + String(repeating: "}", count: 33)
        #expect(syntaxProblem("\n\nA=\(tooDeep)")?.problem == .expansionTooDeep(name: "A", limit: 32))
        #expect(syntaxProblem("\n\nA=\(tooDeep)")?.line == 3)
    }

    @Test func defaultIsOnlyReadWhenNeeded() throws {
        #expect(try value("A", in: "A=${SET:-${UNSET}}", environment: ["SET=1"]).get() == "1")
    }

    @Test(arguments: [
        ("A=1\nB=\"x\n", 2, SyntaxProblem.unterminatedQuote(name: "B", quote: "\"")),
        ("A='x\n\n", 1, .unterminatedQuote(name: "A", quote: "'")),
        ("\n\nA=\"x\" y", 3, .textAfterQuotedValue(name: "A")),
        ("A B", 1, .textAfterName(name: "A")),
        ("=1", 1, .missingName),
        ("'A=1", 1, .missingName),
        ("A/B=1", 1, .invalidNameCharacter("/")),
        ("A=${", 1, .unterminatedExpansion(name: "A")),
        ("A=${B", 1, .unterminatedExpansion(name: "A")),
        ("A=${B:", 1, .unterminatedExpansion(name: "A")),
        ("A=${B:-x", 1, .unterminatedExpansion(name: "A")),
        ("A=${}", 1, .invalidExpansion(name: "A")),
        ("A=${1}", 1, .invalidExpansion(name: "A")),
        ("A=${B C}", 1, .invalidExpansion(name: "A")),
        ("A=${B:+x}", 1, .invalidExpansion(name: "A")),
    ])
    func malformedLine(_ text: String, line: Int, problem: SyntaxProblem) {
        let found = syntaxProblem(text)
        #expect(found?.line == line)
        #expect(found?.problem == problem)
    }

    @Test func errorNamesFileAndLine() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("bad.env", "A=1\n# note\nB='unterminated secret-value\n")
        let loader = EnvironmentLoader(request: EnvironmentRequest(files: [path]), processEnvironment: [])
        #expect(throws: EnvironmentError.syntax(SourceLocation(file: path, line: 3), .unterminatedQuote(name: "B", quote: "'"))) {
            try loader.load()
        }
        do {
            _ = try loader.load()
        } catch {
            #expect(error.description == "\(path):3: the single-quoted value of B has no closing '")
        }
    }

    @Test func invalidUTF8IsReportedOnItsLine() throws {
        let folder = try TemporaryFolder()
        let path = try folder.write("latin1.env", bytes: Array("A=1\nB=2\nC=".utf8) + [0xE9])
        let loader = EnvironmentLoader(request: EnvironmentRequest(files: [path]), processEnvironment: [])
        #expect(throws: EnvironmentError.syntax(SourceLocation(file: path, line: 3), .invalidUTF8)) {
            try loader.load()
        }
    }

    @Test func valueLongerThanLinuxPassesIsAnError() throws {
        let limit = 32 * 4096 - 1
        let fits = String(repeating: "x", count: limit - 2)
        #expect(try value("A", in: "A=\(fits)").get()?.count == limit - 2)
        #expect(syntaxProblem("A=\(fits)x")?.problem == .valueTooLong(name: "A", limit: limit))
        #expect(syntaxProblem("A='\(fits)x'")?.problem == .valueTooLong(name: "A", limit: limit))
    }
}
