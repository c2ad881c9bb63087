import CMaiSystem
import Glibc

/// The supervisor's stdout or stderr, written without ever blocking the loop: what the reader (a log driver,
/// a terminal under XOFF, `| less`) cannot take now waits here, in order, and goes out when the loop sees the
/// descriptor writable again. Lines are never interleaved inside a line: a partly written piece stays first.
///
/// Two kinds of content wait here. The child's relayed output is never dropped: the relay stops reading the
/// child's pipe while `relayedBytesQueued` is high, so the child blocks as it would without tagging. The
/// supervisor's own log lines are bounded (`logCapacity`): when full, the oldest waiting line is dropped and
/// counted, and one "N log lines dropped" line takes its place when the writer gets there.
public final class OutputSink {
    public enum Content { case relayed, log }

    /// How to write to the descriptor without blocking and without changing it for anyone else: stdout and
    /// stderr are open file descriptions shared with the child and the container runtime, so setting
    /// O_NONBLOCK on them would make the child see EAGAIN.
    enum Mode: Equatable {
        /// A regular file or block device: writes do not wait for a reader.
        case plain
        /// A description of our own, opened anew through /proc/self/fd with O_NONBLOCK (pipes, FIFOs, terminals).
        case ownDescription(Int32)
        /// A socket: send() with MSG_DONTWAIT is non-blocking for this call only.
        case socket
        /// Anything else: write only when poll() says writable, and at most PIPE_BUF bytes, which then fit.
        case guarded
    }

    private struct Piece {
        var bytes: [UInt8]
        var written = 0
        let content: Content
    }

    public static let logCapacity = 256 * 1024
    public static let pipeAtomicWrite = 4096

    public let descriptor: Int32
    let mode: Mode
    private var pieces: [Piece] = []
    private var head = 0
    public private(set) var relayedBytesQueued = 0
    private var logBytesQueued = 0
    private var droppedLines = 0
    /// Set when the reader is gone for good (EPIPE, EBADF): everything is discarded from then on.
    public private(set) var isClosed = false
    /// Renders the "N log lines dropped" line in the program's log format; set by the logging set-up.
    public var droppedLinesReport: ((Int) -> [UInt8])?

    public init(descriptor: Int32) {
        self.descriptor = descriptor
        self.mode = OutputSink.mode(for: descriptor)
    }

    deinit {
        if case .ownDescription(let fd) = mode { close(fd) }
    }

    /// Whether anything waits to be written.
    public var hasPending: Bool { head < pieces.count }

    /// What the loop waits on while something is pending: the descriptor becoming writable.
    public var interest: PollInterest? {
        guard hasPending, !isClosed else { return nil }
        switch mode {
        case .plain: return nil
        case .ownDescription(let fd): return PollInterest(fd, writable: true)
        case .socket, .guarded: return PollInterest(descriptor, writable: true)
        }
    }

    /// Writes what the descriptor takes now and keeps the rest, in order.
    public func write(_ bytes: UnsafeRawBufferPointer, _ content: Content) {
        guard !bytes.isEmpty, !isClosed else { return }
        if hasPending || droppedLines > 0 {
            enqueue(Array(bytes), content)
            return flush()
        }
        let offset = writeNow(bytes)
        guard offset < bytes.count, !isClosed else { return }
        enqueue(Array(bytes[offset...]), content)
    }

    public func write(_ bytes: [UInt8], _ content: Content) {
        bytes.withUnsafeBytes { write($0, content) }
    }

    /// Writes waiting pieces until the descriptor would block; never waits.
    public func flush() {
        while hasPending && !isClosed {
            guard writeDropReportIfDue() else { return }
            let written = pieces[head].written
            let (count, total) = pieces[head].bytes.withUnsafeBytes { all in
                (writeNow(UnsafeRawBufferPointer(rebasing: all[written...])), all.count - written)
            }
            pieces[head].written += count
            guard count == total else { return }
            dequeueHead()
        }
        if isClosed { discardAll() }
    }

    /// For the end of the program: waits until everything is written, the reader is gone, or `giveUp` says
    /// so (it is asked at least every `interval`).
    public func flushWaiting(interval: Duration = .milliseconds(100), giveUp: () -> Bool) {
        flush()
        while hasPending && !isClosed && !giveUp() {
            if let interest { _ = try? waitForEvents([interest], timeout: interval) }
            flush()
        }
    }

    // MARK: Queue

    private func enqueue(_ bytes: [UInt8], _ content: Content) {
        if content == .log {
            makeRoomForLog(bytes.count)
            guard logBytesQueued + bytes.count <= OutputSink.logCapacity else {
                droppedLines += 1
                return
            }
            logBytesQueued += bytes.count
        } else {
            relayedBytesQueued += bytes.count
        }
        pieces.append(Piece(bytes: bytes, content: content))
    }

    /// Drops the oldest waiting log lines (never one partly written) until `count` more bytes fit: the
    /// newest lines (a stop, an exit) matter most when a reader comes back.
    private func makeRoomForLog(_ count: Int) {
        var index = head
        while logBytesQueued + count > OutputSink.logCapacity && index < pieces.count {
            if pieces[index].content == .log && pieces[index].written == 0 && pieces[index].bytes.count > 0 {
                logBytesQueued -= pieces[index].bytes.count
                pieces[index].bytes = []
                droppedLines += 1
            }
            index += 1
        }
    }

    /// Once the reader takes bytes again, and between two lines, the count of lines dropped meanwhile goes
    /// out first. Returns false while the descriptor still would block.
    private func writeDropReportIfDue() -> Bool {
        guard droppedLines > 0, pieces[head].written == 0, let render = droppedLinesReport else { return true }
        let report = render(droppedLines)
        let count = report.withUnsafeBytes { writeNow($0) }
        guard count > 0 else { return false }
        droppedLines = 0
        if count < report.count {
            // Begun, so it must be finished before anything else: it becomes the head, never dropped.
            pieces.insert(Piece(bytes: report, written: count, content: .log), at: head)
            logBytesQueued += report.count
        }
        return true
    }

    private func dequeueHead() {
        let piece = pieces[head]
        if piece.content == .log { logBytesQueued -= piece.bytes.count } else { relayedBytesQueued -= piece.bytes.count }
        head += 1
        // Compact now and then, so that the array does not grow with everything ever queued.
        if head == pieces.count {
            pieces.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > pieces.count {
            pieces.removeFirst(head)
            head = 0
        }
    }

    private func discardAll() {
        pieces.removeAll()
        head = 0
        relayedBytesQueued = 0
        logBytesQueued = 0
    }

    // MARK: Writing

    /// One non-blocking attempt; returns how many bytes went out (all of them when the reader is gone).
    private func writeNow(_ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let count = attempt(rest)
            if count > 0 {
                offset += count
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno != EAGAIN {
                // EPIPE, EBADF, EIO of a hung-up terminal: nobody will read this; losing it must not stop us.
                isClosed = true
                return bytes.count
            }
            return offset
        }
        return offset
    }

    private func attempt(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch mode {
        case .plain:
            return systemCall("write") { Glibc.write(descriptor, bytes.baseAddress, bytes.count) }
        case .ownDescription(let fd):
            return systemCall("write") { Glibc.write(fd, bytes.baseAddress, bytes.count) }
        case .socket:
            return systemCall("write") { send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        case .guarded:
            var pfd = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&pfd, 1, 0) == 1, pfd.revents & Int16(POLLOUT) != 0 else {
                if pfd.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 {
                    errno = EPIPE
                    return -1
                }
                errno = EAGAIN
                return -1
            }
            let count = min(bytes.count, OutputSink.pipeAtomicWrite)
            return systemCall("write") { Glibc.write(descriptor, bytes.baseAddress, count) }
        }
    }

    /// Decides once, from what the descriptor is, how to write to it without blocking.
    static func mode(for fd: Int32) -> Mode {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .guarded }
        switch info.st_mode & S_IFMT {
        case S_IFREG, S_IFBLK: return .plain
        case S_IFSOCK: return .socket
        default:
            // A new open file description of the same pipe or terminal: O_NONBLOCK there is ours alone.
            // O_NOCTTY: reopening a terminal must never make it our controlling terminal.
            let own = open("/proc/self/fd/\(fd)", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
            return own >= 0 ? .ownDescription(own) : .guarded
        }
    }
}

/// The supervisor's own stdout and stderr. One thread uses them (the loop, and the log handler it calls).
nonisolated(unsafe) public let standardOutputSink = OutputSink(descriptor: STDOUT_FILENO)
nonisolated(unsafe) public let standardErrorSink = OutputSink(descriptor: STDERR_FILENO)

/// The sink for stdout or stderr, or a new one for another descriptor (a test's file).
public func outputSink(for fd: Int32) -> OutputSink {
    switch fd {
    case STDOUT_FILENO: standardOutputSink
    case STDERR_FILENO: standardErrorSink
    default: OutputSink(descriptor: fd)
    }
}
