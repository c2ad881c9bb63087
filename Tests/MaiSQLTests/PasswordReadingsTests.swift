import MaiRedaction
import MaiSQL
import Testing

/// How each reader splits a URL's userinfo, as observed: libpq 15.18 (PQconninfoParse) and SQLAlchemy 2.1.9
/// (make_url). Every reading, raw and decoded, is a secret to strike.
@Suite("Password readings")
struct PasswordReadingsTests {
    @Test(arguments: [
        // libpq and SQLAlchemy: password "Abc", host "TAIL@host"; meant: "Abc@TAIL".
        ("postgresql://u:Abc@TAIL@host/db", ["Abc@TAIL", "Abc"]),
        // libpq: no user part at all (host "u", port "Secret"); SQLAlchemy and meant: "Secret/Tail99".
        ("postgresql://u:Secret/Tail99@host/db", ["Secret/Tail99"]),
        // Both decode: "Abc@TAIL".
        ("postgresql://u:Abc%40TAIL@host/db", ["Abc%40TAIL", "Abc@TAIL"]),
        // Both: "a:b?c#d".
        ("postgresql://u:a:b?c#d@host/db", ["a:b?c#d"]),
        // SQLAlchemy: user "u@x", password "pw"; libpq: user "u", no password.
        ("postgresql://u@x:pw@host/db", ["pw"]),
        // libpq's query parameter.
        ("postgresql://u@host/db?password=qp%2Fx", ["qp%2Fx", "qp/x"]),
        ("postgresql://u@host:5432/db", []),
        ("sqlite:////app/backend/data/webui.db", []),
    ])
    func readings(_ url: String, _ expected: [String]) {
        #expect(Set(urlPasswordReadings(url)) == Set(expected))
    }

    @Test("DATABASE_PASSWORD: as written, decoded, encoded, and split inside the URL Open WebUI builds")
    func standalone() {
        #expect(Set(standalonePasswordReadings("Abc@TAIL/1%41")) == ["Abc@TAIL/1%41", "Abc@TAIL/1A", "Abc%40TAIL%2F1%2541", "Abc"])
    }

    @Test("the redactor for an environment strikes the password everywhere and the key whole")
    func environment() {
        let redactor = databaseSecretRedactor(["DATABASE_URL": "postgresql://u:Abc@TAIL@host/db",
                                               "OPENROUTER_API_KEY": "sk-or-v1-0123456789abcdef"])
        #expect(redactor.redact("host name \"TAIL@host\" key sk-or-v1-0123456789abcdef") == "host name \"***@host\" key ***")
    }
}
