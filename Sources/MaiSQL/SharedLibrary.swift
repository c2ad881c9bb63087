import Glibc

/// A C library loaded with dlopen on first use, instead of linked: a linked library is loaded and relocated at
/// every start, by every run, whether it uses the library or not (see LibPQ.swift and LibSQLite.swift).
struct SharedLibrary {
    /// What the error line calls it: the name, what it is, the Debian package that installs it.
    let label: LibraryLabel
    private let handle: UnsafeMutableRawPointer

    /// RTLD_NOW: every function resolved here, once, rather than at a first call deep inside a query.
    /// RTLD_LOCAL: its symbols serve no other library.
    init(_ label: LibraryLabel) throws(LibraryLoadError) {
        guard let handle = dlopen(label.name, RTLD_NOW | RTLD_LOCAL) else {
            throw LibraryLoadError(label: label, reason: dlerror().map { String(cString: $0) } ?? "not found")
        }
        self.label = label
        self.handle = handle
    }

    /// A function of the library, as the C type its header declares.
    func function<Function>(_ symbol: String) throws(LibraryLoadError) -> Function {
        guard let address = dlsym(handle, symbol) else {
            throw LibraryLoadError(label: label, reason: "\(label.name) has no \(symbol)")
        }
        return unsafeBitCast(address, to: Function.self)
    }
}

/// A library that is missing or too old: a permanent error that names it and the package to install.
struct LibraryLoadError: Error, CustomStringConvertible {
    let label: LibraryLabel
    let reason: String
    var description: String { "\(label.what) could not be loaded (install \(label.package)): \(reason)" }
}

struct LibraryLabel {
    /// The soname dlopen looks for.
    let name: String
    /// "the PostgreSQL client library"
    let what: String
    let package: String
}
