import ArgumentParser

/// Options that protect Open WebUI's data: the backup before its migrations and the DATA_DIR lock.
struct DataSafetyOptions: ParsableArguments, SettingsGroup {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Backups of webui.db kept in DATA_DIR/backups; 0 makes none (default 3). (env: \(OptionEnvironment.variable(for: "keep-backups")))",
        valueName: "N"), transform: Count.checked)
    var keepBackups: Count?

    @Flag(name: .long, help: help("Exit 1 instead of starting the server when the backup before Open WebUI's migrations cannot be made.", "backup-required"))
    var backupRequired = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Folder holding Open WebUI's open_webui/ package, whose migration scripts name the head revision (default: the working directory, then /app/backend). (env: \(OptionEnvironment.variable(for: "openwebui-dir")))",
        valueName: "PATH"))
    var openwebuiDir: String?

    @Option(name: .long, parsing: .unconditional, help: seconds("Seconds to wait for another instance, one that holds DATA_DIR (SQLite) or the migration gate (PostgreSQL), before exiting 1 (default 120).", "gate-timeout"),
            transform: Seconds.checked)
    var gateTimeout: Seconds?

    @Flag(name: .long, help: help("Exit 1 instead of starting a server on a PostgreSQL database without users while DATA_DIR/webui.db holds them (see move-to-postgresql).", "refuse-empty-database"))
    var refuseEmptyDatabase = false

    static func settings(_ given: Self?, _ environment: OptionEnvironment) throws(UsageError) -> DataSafetySettings {
        var settings = DataSafetySettings()
        settings.refuseEmptyDatabase = try environment.flag(given?.refuseEmptyDatabase, "refuse-empty-database")
        if let keep = try resolve(given?.keepBackups, "keep-backups", environment) { settings.keepBackups = keep.value }
        settings.backupRequired = try environment.flag(given?.backupRequired, "backup-required")
        settings.openWebUIDirectory = given?.openwebuiDir ?? environment.string("openwebui-dir")
        if let timeout = try resolve(given?.gateTimeout, "gate-timeout", environment) { settings.gateTimeout = timeout.duration }
        return settings
    }
}

struct DataSafetySettings: Sendable, Equatable {
    var keepBackups = 3
    var backupRequired = false
    /// nil: the working directory, then /app/backend.
    var openWebUIDirectory: String?
    var gateTimeout: Duration = .seconds(120)
    var refuseEmptyDatabase = false
}

/// A whole number, 0 or more.
struct Count: OptionValue, Equatable {
    let value: Int

    static func parse(_ text: String) throws(OptionValueError) -> Count {
        guard let value = Int(text), value >= 0, value <= 1_000_000 else { throw OptionValueError("not a whole number of 0 or more") }
        return Count(value: value)
    }
}

/// `--openwebui-dir` alone, for `init-db` and `status`: the installed app's migration scripts say whether the
/// app makes the usage tables itself.
struct OpenWebUIDirectoryOption: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Folder holding Open WebUI's open_webui/ package, whose migration scripts say whether the app makes the usage tables (default: the working directory, then /app/backend). (env: \(OptionEnvironment.variable(for: "openwebui-dir")))",
        valueName: "PATH"))
    var openwebuiDir: String?

    func settings(_ environment: OptionEnvironment) -> DataSafetySettings {
        var settings = DataSafetySettings()
        settings.openWebUIDirectory = openwebuiDir ?? environment.string("openwebui-dir")
        return settings
    }
}
