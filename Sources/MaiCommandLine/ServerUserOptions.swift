import ArgumentParser
import MaiAccounts

/// `--user` and `--chown-data`: whom the server runs as, and whether its data is made its own first.
struct ServerUserOptions: ParsableArguments, SettingsGroup {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Run COMMAND as this user: NAME, UID, NAME:GROUP or UID:GID; groups from /etc/group, HOME from /etc/passwd; mai-entrypoint itself stays root. (env: \(OptionEnvironment.variable(for: "user")))",
        valueName: "USER"), transform: UserValue.checked)
    var user: UserValue?

    @Flag(name: .long, help: help("With --user: make DATA_DIR and everything in it owned by that user before the start (only what differs).", "chown-data"))
    var chownData = false

    @Flag(name: .long, help: help("Exit 1 before anything starts when several workers or replicas miss one of Open WebUI's scale-out requirements (shared key, external database, Redis websockets, shared files, a vector server).", "require-scale-out-safe"))
    var requireScaleOutSafe = false

    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> ServerUserSettings {
        let spec = try resolve(given?.user, "user", environment)?.spec
        let chown = try environment.flag(given?.chownData, "chown-data")
        let source = given?.user != nil ? "--user" : environment.describe("user")
        if chown && spec == nil {
            let option = given?.chownData == true ? "--chown-data" : environment.describe("chown-data")
            throw UsageError("\(option) needs --user (\(OptionEnvironment.variable(for: "user")))")
        }
        let strict = try environment.flag(given?.requireScaleOutSafe, "require-scale-out-safe")
        return ServerUserSettings(spec: spec, source: source, chownData: chown, requireScaleOutSafe: strict)
    }
}

struct ServerUserSettings: Sendable, Equatable {
    var spec: UserSpec?
    /// `--user` or `MAI_ENTRYPOINT_USER`, for an error line.
    var source = "--user"
    var chownData = false
    /// `--require-scale-out-safe`: an unmet scale-out requirement ends the run (exit 1).
    var requireScaleOutSafe = false
}

/// `--user`'s value.
struct UserValue: OptionValue, Equatable {
    let spec: UserSpec

    static func parse(_ text: String) throws(OptionValueError) -> UserValue {
        do {
            return UserValue(spec: try UserSpec.parse(text))
        } catch {
            throw OptionValueError(error.description)
        }
    }
}
