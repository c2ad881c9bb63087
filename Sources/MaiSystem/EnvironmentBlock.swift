import Glibc

/// The environment as the kernel hands it over and `posix_spawn` takes it: `NAME=VALUE` entries of raw bytes, in
/// order. Nothing is decoded on the way from `main` to the child, so every byte reaches it unchanged; only the
/// variables the program itself reads are decoded, when read.
///
/// A name may appear twice (the kernel does not forbid it): a lookup finds the first entry, as `getenv` does, so
/// that the program reads the value the child's own `getenv` would.
public struct EnvironmentBlock: Sendable, Equatable {
    public private(set) var entries: [[UInt8]] {
        didSet { values = Self.decoded(entries) }
    }
    /// Every variable by name, first entry winning, decoded: for the readers that take a dictionary. Made with
    /// the entries rather than at each reading: a start reads it half a dozen times, and changes it once or twice.
    public private(set) var values: [String: String]

    public init(_ entries: [[UInt8]] = []) {
        self.entries = entries
        values = Self.decoded(entries)
    }

    /// Entries given as text, `NAME=VALUE` (tests, and variables the program builds).
    public init(strings: [String]) { self.init(strings.map { Array($0.utf8) }) }

    /// This process's environment, `environ`, byte for byte.
    public static func current() -> EnvironmentBlock {
        var entries: [[UInt8]] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(cStringBytes(entry))
            cursor += 1
        }
        return EnvironmentBlock(entries)
    }

    /// The first entry's value for `name`, bytes as they are.
    public func bytes(_ name: String) -> ArraySlice<UInt8>? {
        let key = Array(name.utf8)
        for entry in entries where Self.name(of: entry).elementsEqual(key) && entry.count > key.count {
            return entry[(key.count + 1)...]
        }
        return nil
    }

    /// The first entry's value for `name`, decoded as UTF-8 (an invalid byte reads as U+FFFD: only the program's
    /// own reading is affected, never what the child gets).
    public subscript(name: String) -> String? {
        bytes(name).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decoded(_ entries: [[UInt8]]) -> [String: String] {
        var values: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: entry[..<equals], as: UTF8.self)
            if values[name] == nil { values[name] = String(decoding: entry[(equals + 1)...], as: UTF8.self) }
        }
        return values
    }

    /// Sets `name` in place of its first entry, dropping any later entry of that name (so that no reader, first-
    /// or last-match, sees the old value); a new name goes at the end. `setting` does the same for many names;
    /// one name needs no table of them (the start sets one or two, and the first table of byte strings cost the
    /// Swift runtime 70 µs of every start to instantiate, `scripts/bench`).
    public mutating func set(_ name: String, to value: String) {
        let key = Array(name.utf8)
        var written = false
        var result = entries.compactMap { entry in
            guard Self.name(of: entry).elementsEqual(key) else { return entry }
            defer { written = true }
            return written ? nil : key + [UInt8(ascii: "=")] + Array(value.utf8)
        }
        if !written { result.append(key + [UInt8(ascii: "=")] + Array(value.utf8)) }
        entries = result
    }

    /// The block with each variable set as `set` does it, in one pass (env files may set tens of thousands);
    /// new names go at the end in the order given.
    public func setting(_ variables: [(name: String, value: String)]) -> EnvironmentBlock {
        if variables.isEmpty { return self }
        var values: [[UInt8]: [UInt8]] = [:]
        var newNames: [[UInt8]] = []
        for (name, value) in variables {
            let key = Array(name.utf8)
            if values.updateValue(Array(value.utf8), forKey: key) == nil { newNames.append(key) }
        }
        var written = Set<[UInt8]>()
        var result: [[UInt8]] = []
        for entry in entries {
            let name = Array(Self.name(of: entry))
            guard let value = values[name] else {
                result.append(entry)
                continue
            }
            if written.insert(name).inserted { result.append(name + [UInt8(ascii: "=")] + value) }
        }
        for name in newNames where !written.contains(name) {
            if let value = values[name] { result.append(name + [UInt8(ascii: "=")] + value) }
        }
        return EnvironmentBlock(result)
    }

    /// The block without any entry of these names.
    public func removing(_ names: Set<String>) -> EnvironmentBlock {
        let keys = Set(names.map { Array($0.utf8)[...] })
        return EnvironmentBlock(entries.filter { !keys.contains(Self.name(of: $0)) })
    }

    /// The bytes before the first `=` (all of them for an entry without one).
    public static func name(of entry: [UInt8]) -> ArraySlice<UInt8> {
        entry[..<(entry.firstIndex(of: UInt8(ascii: "=")) ?? entry.endIndex)]
    }
}

/// The bytes of a NUL-terminated C string, without the NUL.
public func cStringBytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
    let length = strlen(pointer)
    return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
}

/// The program's arguments (without argv[0]) as the kernel gave them, byte for byte.
public func commandLineArguments() -> [[UInt8]] {
    (1..<Int(CommandLine.argc)).compactMap { index in CommandLine.unsafeArgv[index].map { cStringBytes($0) } }
}
