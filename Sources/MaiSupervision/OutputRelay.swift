import Glibc
import MaiSystem

/// Carries one output stream of the child (stdout or stderr) through a pipe to the supervisor's own, with
/// each line prefixed by a tag. Lines are only ever written whole: a line that arrives in pieces waits
/// until its end comes, and a last line without a newline is written, with one, at end of file.
public final class OutputRelay {
    /// A line longer than this is written in parts rather than held in memory without bound.
    public static let longestLine = 1 << 20
    static let chunkSize = 1 << 17
    /// A larger pipe means fewer, larger reads when the child writes fast (best effort; the default is 64 KiB).
    static let pipeSize: Int32 = 1 << 20

    public let source: Int32
    private let destination: Int32
    private let prefix: [UInt8]
    private var pending: [UInt8] = []
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// Lines gathered for one write; full, it is written out before more is added.
    private let output: UnsafeMutableRawBufferPointer
    private var outputCount = 0
    public private(set) var isOpen = true

    /// Takes ownership of `source`, the read end of the child's pipe.
    public init(source: Int32, destination: Int32, tag: String) throws(SystemError) {
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

    /// Reads what is there now (a bounded amount, so that signals are not kept waiting) and writes the
    /// complete lines. At end of file it writes the rest and closes the pipe.
    public func pump(maximumReads: Int = 16) throws(SystemError) {
        for _ in 0..<maximumReads where isOpen {
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
        if bytes.count > output.count { return writeAll(destination, bytes) }
        (target + outputCount).copyMemory(from: source, byteCount: bytes.count)
        outputCount += bytes.count
    }

    private func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    private func flush() {
        guard outputCount > 0 else { return }
        writeAll(destination, UnsafeRawBufferPointer(rebasing: output[0..<outputCount]))
        outputCount = 0
    }
}
