import Glibc
import MaiSystem

/// Carries one output stream of the child (stdout or stderr) through a pipe to the supervisor's own, with
/// each line prefixed by a tag. Lines are only ever written whole: a line that arrives in pieces waits
/// until its end comes, and a last line without a newline is written, with one, at end of file.
///
/// Backpressure instead of blocking: lines go to an `OutputSink`, which never blocks; while more than
/// `backlogLimit` bytes wait there for a slow reader, the relay stops reading the child's pipe, the pipe fills
/// and the child blocks in its own write, as it would without tagging. No byte is dropped.
public final class OutputRelay {
    /// A line longer than this is written in parts rather than held in memory without bound.
    public static let longestLine = 1 << 20
    static let chunkSize = 1 << 17
    /// A larger pipe means fewer, larger reads when the child writes fast (best effort; the default is 64 KiB).
    static let pipeSize: Int32 = 1 << 20
    /// Relayed bytes allowed to wait for a slow reader before the relay stops reading the child's pipe.
    public static let backlogLimit = 256 * 1024

    public let source: Int32
    private let destination: OutputSink
    private let prefix: [UInt8]
    private var pending: [UInt8] = []
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// Lines gathered for one write; full, it is written out before more is added.
    private let output: UnsafeMutableRawBufferPointer
    private var outputCount = 0
    public private(set) var isOpen = true
    /// After a failed read, the relay rests until then instead of spinning on a descriptor that stays readable.
    public var pausedUntil: MonotonicInstant?

    /// Takes ownership of `source`, the read end of the child's pipe; writes to stdout or stderr's sink
    /// (`destination` 1 or 2), or to a sink of its own for any other descriptor.
    public convenience init(source: Int32, destination: Int32, tag: String) throws(SystemError) {
        try self.init(source: source, sink: outputSink(for: destination), tag: tag)
    }

    public init(source: Int32, sink destination: OutputSink, tag: String) throws(SystemError) {
        try setNonBlocking(source)
        enlargePipe(source, to: OutputRelay.pipeSize)
        self.source = source
        self.destination = destination
        self.prefix = Array("[\(tag)] ".utf8)
        self.readBuffer = .allocate(byteCount: OutputRelay.chunkSize, alignment: 16)
        self.output = .allocate(byteCount: OutputRelay.chunkSize * 2, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
        output.deallocate()
        if isOpen { close(source) }
    }

    /// Whether the loop should wait for the child's pipe: open, not resting, and the reader keeping up.
    public func wantsInput(now: MonotonicInstant) -> Bool {
        isOpen && destination.relayedBytesQueued < OutputRelay.backlogLimit && (pausedUntil.map { now >= $0 } ?? true)
    }

    /// Reads what is there now (a bounded amount, so that signals are not kept waiting) and writes the
    /// complete lines. At end of file it writes the rest and closes the pipe.
    public func pump(maximumReads: Int = 16) throws(SystemError) {
        for _ in 0..<maximumReads where isOpen && destination.relayedBytesQueued < OutputRelay.backlogLimit {
            switch try readSome(source, into: readBuffer) {
            case .bytes(let count): emitLines(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
            case .wouldBlock: return
            case .endOfFile: finish()
            }
        }
    }

    /// Reads until the pipe is empty or closed, then writes any partial line: for the end of supervision,
    /// when no process is left to write more.
    public func drain() throws(SystemError) {
        // A read that fails still ends the relay, with what it holds written out.
        defer { if isOpen { finish() } }
        while isOpen {
            switch try readSome(source, into: readBuffer) {
            case .bytes(let count): emitLines(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
            case .wouldBlock, .endOfFile: finish()
            }
        }
    }

    private func finish() {
        if !pending.isEmpty {
            append(prefix)
            append(pending)
            append([UInt8(ascii: "\n")])
            pending.removeAll(keepingCapacity: false)
        }
        flush()
        close(source)
        isOpen = false
    }

    private func emitLines(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) else {
                holdPartialLine(UnsafeRawBufferPointer(rebasing: bytes[start...]))
                break
            }
            let end = base.distance(to: UnsafeRawPointer(found)) + 1
            append(prefix)
            if !pending.isEmpty {
                append(pending)
                pending.removeAll(keepingCapacity: true)
            }
            append(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
        flush()
    }

    private func holdPartialLine(_ piece: UnsafeRawBufferPointer) {
        pending.append(contentsOf: piece)
        if pending.count >= OutputRelay.longestLine {
            append(prefix)
            append(pending)
            append([UInt8(ascii: "\n")])
            pending.removeAll(keepingCapacity: false)
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, let target = output.baseAddress else { return }
        if outputCount + bytes.count > output.count { flush() }
        if bytes.count > output.count { return destination.write(bytes, .relayed) }
        (target + outputCount).copyMemory(from: source, byteCount: bytes.count)
        outputCount += bytes.count
    }

    private func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    private func flush() {
        guard outputCount > 0 else { return }
        destination.write(UnsafeRawBufferPointer(rebasing: output[0..<outputCount]), .relayed)
        outputCount = 0
    }
}
