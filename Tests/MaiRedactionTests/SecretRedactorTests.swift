import MaiRedaction
import Testing

@Suite struct SecretRedactorTests {
    @Test("a password's pieces are struck where a driver echoes values: in quotes and in URL-like words")
    func piecesInEchoedValues() {
        let redactor = SecretRedactor(piecewise: ["Abc@TAIL", "Secret/Tail99"])
        #expect(redactor.redact("could not translate host name \"TAIL@127.0.0.1\" to address: Name or service not known")
            == "could not translate host name \"***@127.0.0.1\" to address: Name or service not known")
        #expect(redactor.redact("invalid integer value \"Secret\" for connection option \"port\"")
            == "invalid integer value \"***\" for connection option \"port\"")
        #expect(redactor.redact("at TAIL@host now") == "at ***@host now")
        #expect(redactor.redact("x Secret/Tail99 y") == "x *** y")
    }

    @Test("the fixed words of a message stay readable, and tell nothing of the password")
    func fixedWordsStay() {
        let redactor = SecretRedactor(piecewise: ["N0tThePassw0rd"])
        #expect(redactor.redact("password authentication failed for user \"mai_test\"")
            == "password authentication failed for user \"mai_test\"")
        #expect(redactor.redactValue("the Passw0rd") == "the ***")
    }

    @Test("a short reading (libpq's `Abc` of `Abc@TAIL`) is struck where values are echoed, not in fixed words")
    func shortReadings() {
        let redactor = SecretRedactor(piecewise: ["Abc@TAIL", "Abc", "word"])
        #expect(redactor.redact("password authentication failed for user \"word\"") == "password authentication failed for user \"***\"")
        #expect(redactor.redact("initialized for Abc Corp, host \"xAbc\"") == "initialized for Abc Corp, host \"x***\"")
        #expect(redactor.redactValue("Abc Corp") == "*** Corp")
    }

    @Test("whole secrets go everywhere, pieces only for passwords; short ones are left")
    func wholeAndShort() {
        let redactor = SecretRedactor(whole: ["sk-or-v1-0123456789abcdef"], piecewise: ["ab"])
        #expect(redactor.redact("key sk-or-v1-0123456789abcdef here, ab") == "key *** here, ab")
        #expect(redactor.redactValue("sk-or-v1-…cdef") == "sk-or-v1-…cdef")
    }
}

@Suite struct SecretNextToACombiningMarkTests {
    /// A secret is text, not characters: one followed by a combining mark (U+0301) forms another last character
    /// with it, and a search by characters did not find it, so the key reached the line whole.
    @Test func wholeSecretBeforeACombiningMarkIsStruck() {
        let key = "sk-or-v1-0123456789abcdef"
        let redactor = SecretRedactor(whole: [key])
        // Compared by code points: a search by characters would miss the key here as the redaction did.
        func holdsKey(_ text: String) -> Bool {
            let scalars = Array(text.unicodeScalars), wanted = Array("0123456789abcdef".unicodeScalars)
            return scalars.indices.contains { scalars[$0...].starts(with: wanted) }
        }
        for text in ["key=\(key)\u{301} rest", "\u{301}\(key)", "a\(key)\u{20DD}\(key)"] {
            #expect(holdsKey(text))
            #expect(!holdsKey(redactor.redact(text)), "\(redactor.redact(text))")
            #expect(!holdsKey(redactor.redactValue(text)))
        }
        #expect(redactor.redact("key=\(key)\u{301} rest") == "key=***\u{301} rest")
    }
}

@Suite struct TextSearchTests {
    /// Python's str.find and str.replace, which env.py and the redaction follow: by code points, left to right,
    /// without overlap; a combining mark after the text does not hide it (Swift's character-based search would).
    @Test func searchAndReplaceByCodePoints() {
        #expect("postgres://a,postgres://b".replacingEvery("postgres://", with: "postgresql://") == "postgresql://a,postgresql://b")
        #expect("aaaa".replacingEvery("aa", with: "b") == "bb")
        #expect("aaa".replacingEvery("aa", with: "b") == "ba")
        #expect("abc".replacingEvery("", with: "x") == "abc")
        #expect("".replacingEvery("a", with: "x") == "")
        #expect("e\u{301}".replacingEvery("e", with: "E") == "E\u{301}")
        let url = "sqlite://\u{301}/data"
        let found = url.firstScalarRange(of: "://")
        #expect(found.map { String(url.unicodeScalars[..<$0.lowerBound]) } == "sqlite")
        #expect(url.firstRange(of: "://") == nil)
        let twice = "a://b://c"
        let second = twice.firstScalarRange(of: "://", from: twice.firstScalarRange(of: "://")?.upperBound)
        #expect(second.map { twice.unicodeScalars.distance(from: twice.startIndex, to: $0.lowerBound) } == 5)
        #expect("abc".firstScalarRange(of: "abcd") == nil)
    }
}
