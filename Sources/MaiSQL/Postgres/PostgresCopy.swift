import CLibPQ
import Glibc

/// PostgreSQL's COPY protocol on a `PostgresConnection`, in libpq's non-blocking mode: every wait is a `poll` that
/// a stop request ends, as for queries. Rows travel in COPY's text format (see `CopyText`).
extension PostgresConnection {
    /// `COPY … FROM STDIN`: `fill` appends rows to the buffer it is given (emptied before each call) and returns
    /// false once it has appended the last. An error thrown by `fill` ends the COPY with that error (the server
    /// discards what it received) and is rethrown; the caller's transaction is then to be rolled back.
    /// `waiting` runs every `slice` while the server takes its time (the rows sent are being written).
    public func copyIn(_ sql: String, waiting: @escaping () -> Void = {},
                       fill: (inout [UInt8]) throws(DatabaseError) -> Bool) throws(DatabaseError) {
        self.waiting = waiting
        defer { self.waiting = nil }
        try startCopy(sql, expecting: PGRES_COPY_IN)
        guard pq.setnonblocking(handle, 1) == 0 else { return try check(nil) }
        defer { _ = pq.setnonblocking(handle, 0) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.copyChunk + 65_536)
        do {
            var more = true
            while more {
                buffer.removeAll(keepingCapacity: true)
                more = try fill(&buffer)
                try put(buffer)
            }
        } catch {
            if !abandoned { try? endCopy(failure: "mai-entrypoint: \(error)") }
            throw error
        }
        try endCopy(failure: nil)
        try readResults(keepRows: false)
    }

    /// `COPY (…) TO STDOUT`: `row` gets each row as the server sent it (one line of COPY's text format, its
    /// newline included), valid only during the call.
    public func copyOut(_ sql: String, row: (UnsafeRawBufferPointer) throws(DatabaseError) -> Void) throws(DatabaseError) {
        try startCopy(sql, expecting: PGRES_COPY_OUT)
        while true {
            var pointer: UnsafeMutablePointer<CChar>?
            let length = pq.getCopyData(handle, &pointer, 1)
            if length > 0, let pointer {
                defer { pq.freemem(pointer) }
                try row(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
            } else if length == 0 {
                try awaitSocket(Int16(POLLIN))
                guard pq.consumeInput(handle) == 1 else { return try check(nil) }
            } else {
                // -1: the COPY is done, its outcome is the next result; -2: an error, which that result carries too.
                try readResults(keepRows: false)
                return
            }
        }
    }

    /// How many bytes `copyIn` collects before it hands them to libpq.
    public static let copyChunk = 256 * 1024

    private func startCopy(_ sql: String, expecting status: ExecStatusType) throws(DatabaseError) {
        guard !abandoned else { throw .interrupted(stop.received ?? .terminate) }
        guard pq.sendQuery(handle, sql) == 1 else { return try check(nil) }
        try readResults(keepRows: false, untilCopy: status)
    }

    /// Queues the bytes and sends all that libpq holds, waiting for the socket as often as it takes.
    private func put(_ bytes: [UInt8]) throws(DatabaseError) {
        guard !bytes.isEmpty else { return }
        while true {
            let queued = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { pq.putCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            if queued == 1 { break }
            if queued == -1 { return try check(nil) }
            try awaitSocket(Int16(POLLOUT))
        }
        try flushAll()
    }

    private func endCopy(failure: String?) throws(DatabaseError) {
        while true {
            let ended = pq.putCopyEnd(handle, failure)
            if ended == 1 { break }
            if ended == -1 { return try check(nil) }
            try awaitSocket(Int16(POLLOUT))
        }
        try flushAll()
        if failure != nil { _ = try? readResults(keepRows: false) }
    }

    /// PQflush until nothing is left; while the server's answers fill the other direction, they are read
    /// (libpq's documented way: wait for read-ready too and consume input).
    private func flushAll() throws(DatabaseError) {
        while true {
            let left = pq.flush(handle)
            if left == 0 { return }
            if left == -1 { return try check(nil) }
            try awaitSocket(Int16(POLLIN | POLLOUT))
            guard pq.consumeInput(handle) == 1 else { return try check(nil) }
        }
    }
}
