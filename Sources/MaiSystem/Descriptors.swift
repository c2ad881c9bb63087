import CMaiSystem
import Glibc

/// A pipe whose ends close on exec; the spawn's dup2 gives the child its end without that flag.
public struct Pipe: Sendable {
    public let readEnd: Int32
    public let writeEnd: Int32

    public init() throws(SystemError) {
        var ends: [Int32] = [0, 0]
        if cmai_pipe_cloexec(&ends) != 0 { throw SystemError("pipe2") }
        readEnd = ends[0]
        writeEnd = ends[1]
    }
}

public func setNonBlocking(_ fd: Int32) throws(SystemError) {
    let flags = fcntl(fd, F_GETFL)
    if flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 { throw SystemError("fcntl(O_NONBLOCK)") }
}

/// Asks for a larger pipe buffer; a refusal (over /proc/sys/fs/pipe-max-size) keeps the default, which works.
public func enlargePipe(_ fd: Int32, to bytes: Int32) {
    _ = cmai_set_pipe_size(fd, bytes)
}

public enum ReadResult: Equatable {
    case bytes(Int)
    case wouldBlock
    case endOfFile
}

/// One read into the buffer, with EINTR retried and EAGAIN reported rather than thrown.
public func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> ReadResult {
    while true {
        let count = systemCall("read") { read(fd, buffer.baseAddress, buffer.count) }
        if count > 0 { return .bytes(count) }
        if count == 0 { return .endOfFile }
        switch errno {
        case EINTR: continue
        case EAGAIN: return .wouldBlock
        default: throw SystemError("read")
        }
    }
}

/// The one write of a whole buffer: short writes and EINTR are retried, and a non-blocking descriptor that is
/// full (EAGAIN) is waited for with poll(2). Any other failure throws with its errno, and what was written stays
/// written. EPIPE (the reader is gone) is one: `main` blocks SIGPIPE with every other signal, so such a write
/// fails rather than ending the program. Callers printing output that nobody may be left to read ignore the
/// error (`try?`); callers writing a file they depend on report it. The queued, never-waiting writes of the
/// child's output are `OutputSink`'s.
public func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) {
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    while offset < buffer.count {
        let count = systemCall("write") { write(fd, base + offset, buffer.count - offset) }
        if count >= 0 {
            offset += count
            continue
        }
        switch errno {
        case EINTR: continue
        case EAGAIN:
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&pfd, 1, -1)
        default: throw SystemError("write")
        }
    }
}

public func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
    // withUnsafeBytes rethrows untyped errors: the failure is handed out as a value instead.
    let failure = bytes.withUnsafeBytes { buffer -> SystemError? in
        do throws(SystemError) { try writeAll(fd, buffer) } catch { return error }
        return nil
    }
    if let failure { throw failure }
}

public func writeAll(_ fd: Int32, _ text: String) throws(SystemError) {
    try writeAll(fd, Array(text.utf8))
}
