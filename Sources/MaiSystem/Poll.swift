import Glibc

/// Waits in the kernel until one of the descriptors is readable (or closed) or the timeout passes.
/// A nil timeout waits for ever: this is where the supervisor spends its idle time, using no CPU.
/// Returns the descriptors that are ready.
public func waitForReadable(_ descriptors: [Int32], timeout: Duration?) throws(SystemError) -> [Int32] {
    var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
    let milliseconds: Int32
    if let timeout {
        let (seconds, attoseconds) = timeout.components
        let total = max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        milliseconds = Int32(clamping: total)
    } else {
        milliseconds = -1
    }
    let count = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), milliseconds) }
    if count < 0 {
        if errno == EINTR { return [] }
        throw SystemError("poll")
    }
    return fds.filter { $0.revents != 0 }.map(\.fd)
}
