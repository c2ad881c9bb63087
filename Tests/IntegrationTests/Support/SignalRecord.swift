import Foundation
import Glibc

/// A child that records the signals it gets (Children/record_signals.py), and the file it records them in.
struct SignalRecorder {
    let path: String

    init(in directory: URL, name: String = "signals") {
        path = directory.appendingPathComponent(name).path
    }

    func command(_ options: [String] = []) -> [String] {
        ["python3", child("record_signals.py"), path] + options
    }

    var received: [String] { readLines(path) }

    /// The pid and process group the child wrote once it was listening.
    func waitUntilListening(timeout: Duration = .seconds(15)) throws -> (pid: pid_t, group: pid_t) {
        try waitFor("\(path).ready", timeout: timeout) {
            let fields = readLines(path + ".ready").first?.split(separator: " ").compactMap { pid_t($0) } ?? []
            return fields.count == 2 ? (fields[0], fields[1]) : nil
        }
    }

    func waitForCount(_ count: Int, timeout: Duration = .seconds(15)) throws {
        try waitFor("\(count) signals recorded, have \(received)", timeout: timeout) {
            received.count >= count ? true : nil
        }
    }
}

/// Signal numbers by the names the recorder writes.
func signalNumber(_ name: String) -> Int32 {
    let table: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "USR1": SIGUSR1, "USR2": SIGUSR2, "WINCH": SIGWINCH,
        "ALRM": SIGALRM, "CONT": SIGCONT, "PIPE": SIGPIPE, "TERM": SIGTERM, "SEGV": SIGSEGV, "BUS": SIGBUS,
        "ILL": SIGILL, "FPE": SIGFPE, "TRAP": SIGTRAP, "SYS": SIGSYS, "ABRT": SIGABRT, "CHLD": SIGCHLD,
        "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "PROF": SIGPROF,
    ]
    if let number = table[name] { return number }
    let rtmin: Int32 = 34
    if name == "RTMIN" { return rtmin }
    if name.hasPrefix("RTMIN+"), let offset = Int32(name.dropFirst(6)) { return rtmin + offset }
    if name == "RTMAX" { return 64 }
    fatalError("unknown signal \(name)")
}
