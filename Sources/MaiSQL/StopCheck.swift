import MaiSystem

extension StopRequests {
    /// Throws when a stop request is pending, without waiting: between the statements of a transaction.
    public func check() throws(DatabaseError) {
        if let signal = pause(.zero) { throw .interrupted(signal) }
    }
}
