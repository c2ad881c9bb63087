import MaiRedaction
import Testing

@Suite struct MaskingTests {
    @Test(arguments: [
        ("", ""), ("x", "***"), ("123456789012", "***"), ("1234567890123", "…0123"),
        ("sk-or-v1-0123456789abcdef", "sk-or-v1-…cdef"), ("sk-or-v1-short", "***"), ("sk-or-0123456789abcdef", "sk-or-…cdef"),
    ])
    func maskValue(_ value: String, _ shown: String) {
        #expect(MaiRedaction.maskValue(value) == shown)
    }

    @Test(arguments: ["OPENROUTER_API_KEY", "WEBUI_SECRET_KEY", "github_token", "MY_SECRET"])
    func keyNamesShowTheLastFour(_ name: String) {
        #expect(isSecretName(name))
        #expect(maskSecret(name: name, value: "abcdefghijklmnopqrstuvwxyz") == "…wxyz")
    }

    /// Issue 10: SMTP_PASS, DB_PWD, AUTOMATIC1111_API_AUTH and *_CREDENTIALS_JSON were printed in clear. A
    /// password-like value shows nothing of itself, not even its last four characters.
    @Test(arguments: ["DATABASE_PASSWORD", "SMTP_PASSWD", "SMTP_PASS", "DB_PWD", "AUTOMATIC1111_API_AUTH",
                      "GOOGLE_DRIVE_CREDENTIALS_JSON", "SSH_PRIVATE_MATERIAL", "SESSION_COOKIE_VALUE", "ldap_app_password"])
    func passwordLikeNamesShowNothing(_ name: String) {
        #expect(isSecretName(name))
        #expect(maskSecret(name: name, value: "abcdefghijklmnopqrstuvwxyz") == "***")
        #expect(maskSecret(name: name, value: "user:pass") == "***")
    }

    /// The userinfo of a URL-valued variable is masked however it is written: a lone token, a password holding
    /// `@`, `/` or blanks, or a libpq `password=` pair.
    @Test(arguments: [
        ("SENTRY_DSN", "https://0123456789abcdef@o1.ingest.example.io/42", "https://***@o1.ingest.example.io/42"),
        ("REDIS_URL", "redis://default:s3cr3t pass/with@at@cache:6379/0", "redis://default:***@cache:6379/0"),
        ("WEBHOOK_URI", "https://hooks.example.org/T000/B000", "https://hooks.example.org/T000/B000"),
        ("DATABASE_URL", "postgresql://user@host/db", "postgresql://***@host/db"),
        ("DATABASE_URL", "sqlite:////app/backend/data/webui.db", "sqlite:////app/backend/data/webui.db"),
        ("PG_DSN", "host=db user=webui password=hunter2hunter2 dbname=x", "host=db user=webui password=*** dbname=x"),
        ("DATABASE_URL", "postgresql://u:Abc@TAIL@host/db", "postgresql://u:***@host/db"),
        ("DATABASE_URL", "postgresql://u:Secret/Tail99@host/db", "postgresql://u:***@host/db"),
    ])
    func urlUserinfoIsMasked(_ name: String, _ value: String, _ shown: String) {
        #expect(maskSecret(name: name, value: value) == shown)
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
        #expect(maskSecret(name: "NOTES", value: value) == shown)
    }

    @Test func secretNameMasksAURLWhole() {
        #expect(maskSecret(name: "API_KEY_URL", value: "https://user:pass@host/path/abcd") == "…abcd")
    }
}
