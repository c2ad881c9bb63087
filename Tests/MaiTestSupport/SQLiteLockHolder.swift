import Foundation
import Glibc

/// Another process (Python's sqlite3 module) holding an exclusive lock on a database for a while.
public final class SQLiteLockHolder {
    public struct NotLocked: Error, CustomStringConvertible {
        public let output: String
        public var description: String { "the lock holder did not take the lock: \(output)" }
    }

    private let process = Process()

    /// Returns once the lock is really held.
    public init(path: String, seconds: Double) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", """
            import sqlite3, sys, time
            connection = sqlite3.connect(sys.argv[1], isolation_level=None)
            connection.execute("BEGIN EXCLUSIVE")
            print("locked", flush=True)
            time.sleep(float(sys.argv[2]))
            connection.execute("COMMIT")
            """, path, String(seconds)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard line.hasPrefix("locked") else { throw NotLocked(output: line) }
    }

    /// Waits for the holder to commit and exit.
    public func wait() { process.waitUntilExit() }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
