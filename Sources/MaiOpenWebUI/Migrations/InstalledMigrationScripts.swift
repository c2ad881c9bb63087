import Logging

/// The installed Open WebUI's migration scripts, read once per run whichever step needs them first; nil, and
/// one line ending in that step's `otherwise`, when they cannot be found or read. `missing` is the level of that
/// line when no folder has them (a server that is not Open WebUI has none).
public final class InstalledMigrationScripts {
    /// `--openwebui-dir`: the folder holding `open_webui/`, when given.
    private let given: String?
    private let logger: Logger
    private var found: MigrationScripts??

    public init(given: String?, logger: Logger) {
        self.given = given
        self.logger = logger
    }

    public func read(otherwise: String, missing: Logger.Level = .warning) -> MigrationScripts? {
        if let found { return found }
        let scripts = installedMigrationScripts(given: given, logger: logger, otherwise: otherwise, missing: missing)
        found = .some(scripts)
        return scripts
    }
}

/// The installed Open WebUI's migration scripts; nil, and one warning ending in `otherwise`, when they cannot
/// be found or read.
/// `missing` is the level of that line when no folder has them (a server that is not Open WebUI has none).
public func installedMigrationScripts(given: String?, logger: Logger, otherwise: String,
                                      missing: Logger.Level = .warning) -> MigrationScripts? {
    switch MigrationScripts.locate(given: given, workingDirectory: OpenWebUIDatabase.currentDirectory()) {
    case .failure(let failure):
        logger.log(level: missing, "Open WebUI's migration scripts are not in \(failure.tried.joined(separator: " or ")) (set --openwebui-dir to the folder holding open_webui/): \(otherwise)")
        return nil
    case .success(let directory):
        do {
            let scripts = try MigrationScripts.read(versionsDirectory: directory)
            if !scripts.unreadable.isEmpty {
                logger.warning("Open WebUI migration scripts without a readable revision in \(directory), left out: \(scripts.unreadable.joined(separator: ", "))")
            }
            return scripts
        } catch {
            logger.warning("\(error): \(otherwise)")
            return nil
        }
    }
}
