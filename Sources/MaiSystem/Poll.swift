import Glibc

/// One descriptor to wait on, and whether for reading or for writing.
public struct PollInterest: Sendable {
    public let descriptor: Int32
    public let writable: Bool

    public init(_ descriptor: Int32, writable: Bool = false) {
        self.descriptor = descriptor
        self.writable = writable
    }
}

/// Waits in the kernel until one of the descriptors is ready (readable, writable, closed or in error) or the
/// timeout passes. A nil timeout waits for ever: this is where the supervisor spends its idle time, using no
/// CPU. Returns the descriptors that are ready.
public func waitForEvents(_ interests: [PollInterest], timeout: Duration?) throws(SystemError) -> Set<Int32> {
    var fds = interests.map {
        pollfd(fd: $0.descriptor, events: Int16($0.writable ? POLLOUT : POLLIN), revents: 0)
    }
    let count = systemCall("poll") {
        fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), pollMilliseconds(timeout)) }
    }
    if count < 0 {
        if errno == EINTR { return [] }
        throw SystemError("poll")
    }
    return Set(fds.filter { $0.revents != 0 }.map(\.fd))
}

/// Waits until one of the descriptors is readable (or closed) or the timeout passes.
public func waitForReadable(_ descriptors: [Int32], timeout: Duration?) throws(SystemError) -> Set<Int32> {
    try waitForEvents(descriptors.map { PollInterest($0) }, timeout: timeout)
}

/// poll()'s timeout: milliseconds rounded up, so that a deadline is never woken for too early; -1 for ever.
private func pollMilliseconds(_ timeout: Duration?) -> Int32 {
    guard let timeout else { return -1 }
    let (seconds, attoseconds) = timeout.components
    let total = max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    return Int32(clamping: total)
}
