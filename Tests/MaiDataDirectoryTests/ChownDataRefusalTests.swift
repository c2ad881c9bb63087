import MaiDataDirectory
import Testing

/// Issue 19, point 2: folders --chown-data must never hand to the server's user.
@Suite("--chown-data refusals")
struct ChownDataRefusalTests {
    let program = "/usr/local/bin/mai-entrypoint"

    @Test("empty, the root, the system's folders, and any folder holding them or the program are refused")
    func refused() {
        #expect(chownDataRefusal(given: "", resolved: "/srv", program: program) == "DATA_DIR is empty (it would be the working directory, /srv)")
        #expect(chownDataRefusal(given: "/", resolved: "/", program: program) == "DATA_DIR / resolves to /")
        #expect(chownDataRefusal(given: "data", resolved: "/", program: program) == "DATA_DIR data resolves to /")
        for folder in ["/etc", "/usr", "/bin", "/lib", "/proc"] {
            #expect(chownDataRefusal(given: folder, resolved: folder, program: "/opt/mai") == "DATA_DIR \(folder) is \(folder)")
        }
        #expect(chownDataRefusal(given: "/app", resolved: "/app", program: "/app/bin/mai-entrypoint")
                == "DATA_DIR /app contains /app/bin/mai-entrypoint")
        #expect(chownDataRefusal(given: "/x", resolved: "/usr/local/bin/mai-entrypoint", program: program)
                == "DATA_DIR /usr/local/bin/mai-entrypoint is /usr/local/bin/mai-entrypoint")
    }

    @Test("ordinary data folders, inside /usr included, are allowed")
    func allowed() {
        for folder in ["/app/backend/data", "/usr/local/share/data", "/etcetera", "/srv/proc", "/data"] {
            #expect(chownDataRefusal(given: folder, resolved: folder, program: program) == nil, "\(folder)")
        }
    }
}
