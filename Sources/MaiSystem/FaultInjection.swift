import Glibc

/// Test builds only (debug configuration, `MAI_FAULT_INJECTION`): makes chosen system calls fail, so that
/// the tests can prove that PID 1 survives what a real system rarely does on demand (EPERM from kill, EIO
/// from read, EAGAIN storms). The release binary has none of this: `injectedFault` is then always nil.
///
/// `MAI_ENTRYPOINT_TEST_FAULTS="kill=EPERM,read=EIO*1,waitpid=EINVAL*2@1"`: CALL=ERRNO fails every call;
/// `*N` only the next N; `@K` lets K calls through first. Calls: kill, read (the child's output),
/// read(signalfd), waitpid, poll, write.
#if MAI_FAULT_INJECTION
private struct FaultRule {
    let call: String
    let errno: Int32
    var remaining: Int?
    var skip: Int
}

nonisolated(unsafe) private var faultRules: [FaultRule] = parseFaultRules()

private func parseFaultRules() -> [FaultRule] {
    guard let raw = getenv("MAI_ENTRYPOINT_TEST_FAULTS") else { return [] }
    return String(cString: raw).split(separator: ",").compactMap(parseFaultRule)
}

private func parseFaultRule(_ text: Substring) -> FaultRule? {
    let names: [String: Int32] = ["EPERM": EPERM, "EIO": EIO, "EAGAIN": EAGAIN, "EINTR": EINTR, "EINVAL": EINVAL,
                                  "ENOMEM": ENOMEM, "EBADF": EBADF, "ECHILD": ECHILD]
    guard let equals = text.firstIndex(of: "=") else { return nil }
    var rest = text[text.index(after: equals)...]
    var skip = 0
    if let at = rest.firstIndex(of: "@") {
        skip = Int(rest[rest.index(after: at)...]) ?? 0
        rest = rest[..<at]
    }
    var remaining: Int?
    if let star = rest.firstIndex(of: "*") {
        remaining = Int(rest[rest.index(after: star)...])
        rest = rest[..<star]
    }
    guard let code = names[String(rest)] else { return nil }
    return FaultRule(call: String(text[..<equals]), errno: code, remaining: remaining, skip: skip)
}

/// The errno a test asked this call to fail with, or nil to make the real call.
func injectedFault(_ call: String) -> Int32? {
    guard let index = faultRules.firstIndex(where: { $0.call == call && $0.remaining != 0 }) else { return nil }
    if faultRules[index].skip > 0 {
        faultRules[index].skip -= 1
        return nil
    }
    if let remaining = faultRules[index].remaining { faultRules[index].remaining = remaining - 1 }
    return faultRules[index].errno
}

nonisolated(unsafe) private var stoppedAt: Set<String> = []

/// `MAI_ENTRYPOINT_TEST_STOP_AT=POINT`: the process stops itself (SIGSTOP, which no mask holds back) the first
/// time it reaches POINT, so that a test can change the file system at that very moment (swap a file between
/// a check and an open) and then let it go on with SIGCONT.
public func testStopPoint(_ point: String) {
    guard let raw = getenv("MAI_ENTRYPOINT_TEST_STOP_AT"), String(cString: raw) == point,
          stoppedAt.insert(point).inserted else { return }
    raise(SIGSTOP)
}

/// `MAI_ENTRYPOINT_TEST_CLOCK=SECONDS`: the wall clock reads these seconds since the epoch (and 0 ms), so that a
/// test can know a name made from the time (restore's `.before-restore-<time>`) before the run.
func testClockSeconds() -> Int? {
    getenv("MAI_ENTRYPOINT_TEST_CLOCK").flatMap { Int(String(cString: $0)) }
}
#else
@inline(__always) func injectedFault(_ call: String) -> Int32? { nil }
@inline(__always) public func testStopPoint(_ point: String) {}
@inline(__always) func testClockSeconds() -> Int? { nil }
#endif

/// Runs a system call that returns -1 with errno on failure, unless a test build injects a failure first.
@inline(__always)
func systemCall<T: BinaryInteger>(_ name: String, _ body: () -> T) -> T {
    if let code = injectedFault(name) {
        errno = code
        return -1
    }
    return body()
}
