import Glibc

/// `--user NAME|UID[:GROUP|GID]`, as docker run --user, gosu and s6-setuidgid take it.
public struct UserSpec: Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case name(String)
        case id(UInt32)
    }

    public let user: Part
    public let group: Part?

    public init(user: Part, group: Part? = nil) {
        self.user = user
        self.group = group
    }

    /// The spec, or what is wrong with it.
    public static func parse(_ text: String) throws(UserSpecError) -> UserSpec {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count <= 2 else { throw UserSpecError("use NAME, UID, NAME:GROUP or UID:GID (one colon at most)") }
        let user = try part(fields[0], "user")
        let group = fields.count == 2 ? try part(fields[1], "group") : nil
        return UserSpec(user: user, group: group)
    }

    /// A decimal number is an id (as for docker and gosu: a name of digits only cannot be given by name).
    private static func part(_ text: Substring, _ what: String) throws(UserSpecError) -> Part {
        guard !text.isEmpty else { throw UserSpecError("the \(what) is empty") }
        if text.utf8.allSatisfy({ (48...57).contains($0) }) {
            guard let id = accountID(text) else { throw UserSpecError("\(what) id \(text) is out of range") }
            return .id(id)
        }
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && $0 != "," }) else {
            throw UserSpecError("the \(what) name holds a blank, a comma or a control character")
        }
        return .name(String(text))
    }

    public var description: String {
        func text(_ part: Part) -> String {
            switch part {
            case .name(let name): name
            case .id(let id): String(id)
            }
        }
        return text(user) + (group.map { ":" + text($0) } ?? "")
    }
}

public struct UserSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
