import MaiEnvironment
import Testing

@Suite struct MaskingTests {
    @Test(arguments: [
        ("", ""), ("x", "***"), ("123456789012", "***"), ("1234567890123", "…0123"),
        ("sk-or-v1-0123456789abcdef", "sk-or-v1-…cdef"), ("sk-or-v1-short", "***"), ("sk-or-0123456789abcdef", "sk-or-…cdef"),
    ])
    func maskValue(_ value: String, _ shown: String) {
        #expect(MaiEnvironment.maskValue(value) == shown)
    }

    @Test(arguments: ["OPENROUTER_API_KEY", "WEBUI_SECRET_KEY", "github_token", "DATABASE_PASSWORD", "SMTP_PASSWD", "MY_SECRET"])
    func secretNamesAreMasked(_ name: String) {
        #expect(isSecretName(name))
        #expect(maskSecret(name: name, value: "abcdefghijklmnopqrstuvwxyz") == "…wxyz")
    }

    @Test func otherNamesAreShown() {
        #expect(!isSecretName("WEBUI_NAME"))
        #expect(maskSecret(name: "WEBUI_NAME", value: "mAI for clients") == "mAI for clients")
    }

    @Test(arguments: [
        ("postgresql://user:pass@host/db", "postgresql://user:***@host/db"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("https://example.org/a?mail=a@b.c", "https://example.org/a?mail=a@b.c"),
        ("postgres://u:p/a@ss@h/db", "postgres://u:***@h/db"),
        ("a://u:p1@h1/x,b://v:p2@h2", "a://u:***@h1/x,b://v:***@h2"),
        ("x postgresql://u:pw@h/db y", "x postgresql://u:***@h/db y"),
        ("no url here", "no url here"),
    ])
    func urlPasswordsAreMasked(_ value: String, _ shown: String) {
        #expect(maskSecret(name: "DATABASE_URL", value: value) == shown)
    }

    @Test func secretNameMasksAURLWhole() {
        #expect(maskSecret(name: "API_KEY_URL", value: "https://user:pass@host/path/abcd") == "…abcd")
    }
}
