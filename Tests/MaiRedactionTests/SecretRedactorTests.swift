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
