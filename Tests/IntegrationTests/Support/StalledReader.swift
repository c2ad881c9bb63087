import Foundation
import Glibc

/// `mai-entrypoint` as PID 1 of its own namespace with one of its output streams going into a pipe that the
/// test does not read until it chooses to: a log driver that stalls, a terminal under XOFF, `| sleep 60`.
/// The other stream goes to a file, read at any time.
final class StalledReaderRun {
    /// `both`: stdout and stderr are one pipe nobody reads (`docker run -t` with a stalled terminal).
    enum Stream { case stdout, stderr, both }

    let process = Process()
    let pipe = Pipe()
    let stalled: Stream
    let filePath: String
    private let directory: URL

    init(_ arguments: [String], stalled: Stream, environment: [String: String] = [:]) throws {
        self.stalled = stalled
        directory = try makeTemporaryDirectory()
        filePath = directory.appendingPathComponent("other-stream").path
        _ = FileManager.default.createFile(atPath: filePath, contents: nil)
        let file = try FileHandle(forWritingTo: URL(fileURLWithPath: filePath))
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL", programPath] + arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAI_ENTRYPOINT_") }
        env["MAI_ENTRYPOINT_HEALTH_URL"] = "off"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = stalled == .stderr ? file : pipe
        process.standardError = stalled == .stdout ? file : pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    /// What the stream that is not stalled received so far.
    var otherStream: String { (try? String(contentsOfFile: filePath, encoding: .utf8)) ?? "" }

    /// Bytes waiting in the stalled pipe, unread.
    var bytesWaiting: Int32 {
        var count: Int32 = 0
        _ = ioctl(pipe.fileHandleForReading.fileDescriptor, UInt(FIONREAD), &count)
        return count
    }

    /// Waits until the stalled pipe holds what it takes and the child is blocked writing its own output:
    /// from now on nothing the child writes gets through until the test reads.
    func waitUntilChildBlocked(timeout: Duration = .seconds(20)) throws {
        let supervisor = try supervisorPID
        try waitFor("the pipe to fill and the child to block, \(bytesWaiting) bytes in it", timeout: timeout) { () -> Bool? in
            guard bytesWaiting >= 32_768, let child = childPIDs(of: supervisor).first else { return nil }
            return waitChannel(child)?.hasSuffix("pipe_write") == true ? true : nil
        }
    }

    var supervisorPID: pid_t {
        get throws {
            let parent = process.processIdentifier
            return try waitFor("pid of the namespace's init", timeout: .seconds(10)) { childPIDs(of: parent).first }
        }
    }

    func signal(_ number: Int32) throws { kill(try supervisorPID, number) }

    /// Resumes reading: everything the stalled stream carries until the program and its child have closed it.
    func readStalledStreamToEnd() -> String {
        String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @discardableResult
    func wait(timeout: Duration = .seconds(30)) throws -> Int32 {
        do {
            try waitFor("mai-entrypoint to exit", timeout: timeout) { process.isRunning ? nil : true }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            throw error
        }
        return process.terminationStatus
    }
}

/// The direct children of a process, from /proc (the kernel lists them per thread; the main thread's list).
func childPIDs(of pid: pid_t) -> [pid_t] {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    return text.split(separator: " ").compactMap { pid_t($0) }
}

/// One JSON log line of the program: its message and its time in milliseconds since the epoch.
struct LoggedEvent {
    let message: String
    let milliseconds: Double
    let fields: [String: Any]

    /// Every line of `text` that is a JSON log line of the program (the child's tagged lines are skipped).
    static func parse(_ text: String) -> [LoggedEvent] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("{"),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let message = object["msg"] as? String, let stamp = object["ts"] as? String,
                  let time = epochMilliseconds(stamp) else { return nil }
            return LoggedEvent(message: message, milliseconds: time, fields: object)
        }
    }
}

/// `2026-11-25T21:50:00.123Z` in milliseconds since the epoch.
func epochMilliseconds(_ stamp: String) -> Double? {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: stamp).map { $0.timeIntervalSince1970 * 1000 }
}

func nowMilliseconds() -> Double { Date().timeIntervalSince1970 * 1000 }

/// Where in the kernel a process sleeps (`pipe_write`, or `anon_pipe_write` on newer kernels, while it waits
/// for room in a pipe).
func waitChannel(_ pid: pid_t) -> String? {
    try? String(contentsOfFile: "/proc/\(pid)/wchan", encoding: .utf8)
}
