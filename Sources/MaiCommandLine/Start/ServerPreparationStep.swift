import ArgumentParser
import Glibc
import Logging
import MaiAccounts
import MaiDataDirectory
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// What the server gets, once prepared: its environment (the key, HOME), its user, and the files this program
/// will make for it meanwhile (the SQLite database), to hand over to that user.
struct PreparedServer {
    var environment: EnvironmentBlock
    var account: Account?
    var created: CreatedPaths?

    /// After the usage-tracking step: what it created (webui.db, its folder) becomes the server user's.
    func handOverCreatedFiles(logger: Logger) {
        guard let account, let created else { return }
        let changed = created.giveToOwner(account.credentials)
        if !changed.isEmpty {
            logger.info("files made for the server handed to its user", metadata: [
                "user": "\(account.credentials)", "paths": "\(changed.joined(separator: " "))",
            ])
        }
    }
}

/// The step between the environment and the database: warnings about settings Open WebUI misbehaves with, the
/// server's user and a DATA_DIR it can write, and a secret key that survives the container. Exits 1 (after
/// one error line) when the server could not work: a data folder its user cannot write, a key file that
/// cannot be read or written.
extension StartStep {
    static let prepareServer = StartStep(name: "prepare the server") { state throws(StepEnd) in
        state.server = try prepare(state.settings.serverUser, environment: state.server.environment, location: state.location,
                                   dataDirectory: state.dataDirectory, logger: state.logger)
        state.configuration.environment = state.server.environment
        state.configuration.credentials = state.server.account?.credentials
    }
}

private func prepare(_ settings: ServerUserSettings, environment: EnvironmentBlock, location: DatabaseLocation?,
                     dataDirectory: String, logger: Logger) throws(StepEnd) -> PreparedServer {
    var prepared = PreparedServer(environment: environment)
    // A run started under this one (the image's CMD being `mai-entrypoint -- ...`) then knows it is nested.
    if let marker = SupervisorMarker.current() { prepared.environment.set(SupervisorMarker.variable, to: marker) }
    let values = environment.values
    try checkScaleOut(ScaleOutChecklist(values, location: location, dataDirectory: dataDirectory,
                                        mountinfo: readMountInfo()), strict: settings.requireScaleOutSafe, logger: logger)

    if let spec = settings.spec {
        let account = try resolveAccount(spec, source: settings.source, logger: logger)
        prepared.account = account
        if let home = account.home { prepared.environment.set("HOME", to: home) }
        try prepareDataDirectory(dataDirectory, given: values["DATA_DIR"], for: account, chown: settings.chownData,
                                 location: location, logger: logger)
        // The DATA_DIR lock file too (SQLite), so that a later --chown-data finds nothing of ours left to change.
        if case .sqlite(let path)? = location {
            prepared.created = CreatedPaths(watching: CreatedPaths.sqlite(path) + [DataDirectoryLock.path(dataDirectory)])
        }
    }
    try provideSecretKey(&prepared, dataDirectory: dataDirectory, logger: logger)
    return prepared
}

private func resolveAccount(_ spec: UserSpec, source: String, logger: Logger) throws(StepEnd) -> Account {
    // setgroups, setgid and setuid need root (CAP_SETGID, CAP_SETUID): said here, before anything is made.
    guard geteuid() == 0 else {
        throw .failed("cannot run the server as \(spec) (\(source)): mai-entrypoint itself runs as uid \(geteuid()), and only root can change users (start the container as root, or leave \(source) out)")
    }
    do {
        return try Account.resolve(spec, in: try AccountFiles.load())
    } catch .unreadable(let path, let reason) {
        throw .failed("cannot run the server as \(spec): cannot read \(path): \(reason)")
    } catch {
        throw .usage("\(source) \(spec): \(error.description)")
    }
}

/// DATA_DIR made when missing (and then the user's), made the user's with --chown-data, then checked.
private func prepareDataDirectory(_ directory: String, given: String?, for account: Account, chown: Bool,
                                  location: DatabaseLocation?, logger: Logger) throws(StepEnd) {
    let resolved = realPath(directory) ?? directory
    if chown, let refusal = chownDataRefusal(given: given, resolved: resolved, program: realPath("/proc/self/exe") ?? "") {
        throw .failed("refusing --chown-data: \(refusal); it would be handed to the server's user (set DATA_DIR to the data volume)")
    }
    // Before anything is made or changed: a folder above DATA_DIR that blocks the user is not DATA_DIR's to fix.
    if let problem = ancestorProblem(dataDirectory: resolved, account: account) {
        throw .failed("not starting the server: \(problem)")
    }
    do {
        let made = try makeDirectories(directory)
        for folder in made where lchown(folder, account.uid, account.gid) != 0 {
            logger.warning("cannot hand DATA_DIR's new folder to the server's user", metadata: [
                "path": "\(folder)", "error": "\(String(cString: strerror(errno)))",
            ])
        }
        if !made.isEmpty { logger.info("DATA_DIR created for the server's user", metadata: ["path": "\(directory)", "user": "\(account.credentials)"]) }
        if chown {
            let report = try changeOwnership(of: directory, to: account.credentials)
            logger.info("DATA_DIR owner set to \(account.credentials) (--chown-data): \(report.changed) of \(report.examined) paths changed",
                        metadata: ["path": "\(directory)"])
            if let failure = report.firstFailure {
                logger.warning("DATA_DIR: the owner of \(report.failed) paths could not be changed", metadata: ["first": "\(failure)"])
            }
        }
    } catch {
        throw .failed("cannot prepare DATA_DIR \(directory) for the server's user: \(error.description)")
    }
    var database: String?
    if case .sqlite(let path)? = location { database = path }
    if let problem = dataAccessProblem(dataDirectory: realPath(directory) ?? directory, database: database, account: account) {
        throw .failed("not starting the server: \(problem)")
    }
}

/// WEBUI_SECRET_KEY for the server when none is given: the one kept in DATA_DIR, made on the first start.
private func provideSecretKey(_ prepared: inout PreparedServer, dataDirectory: String, logger: Logger) throws(StepEnd) {
    let source = SecretKeySource.decide(prepared.environment.values, dataDirectory: dataDirectory) { path in
        FileStatus.of(path) != nil
    }
    switch source {
    case .environment(let variable):
        logger.debug("the server's secret key is given", metadata: ["variable": "\(variable)"])
    case .keyFile(let path):
        logger.info("the server reads its secret key from WEBUI_SECRET_KEY_FILE", metadata: ["path": "\(path)"])
    case .dataDirectory(let path):
        // A DATA_DIR that does not exist is not made for the key alone: outside the image (a test, a first
        // local start) that would plant /app/backend/data on the host. In the image it always exists.
        guard FileStatus.of(dataDirectory)?.isDirectory == true else {
            logger.info("no secret key kept for the server: DATA_DIR does not exist (yet)", metadata: ["path": "\(dataDirectory)"])
            return
        }
        do {
            let kept = try SecretKeyFile.loadOrCreate(directory: dataDirectory, owner: prepared.account?.credentials)
            prepared.environment.set("WEBUI_SECRET_KEY", to: kept.key)
            // From here on the key is struck from every line, whatever quotes it.
            installSecretRedaction(prepared.environment.values)
            switch kept.outcome {
            case .generated: logger.info("secret key generated for the server (WEBUI_SECRET_KEY), kept for later starts", metadata: ["path": "\(path)"])
            case .reused: logger.info("secret key reused for the server (WEBUI_SECRET_KEY)", metadata: ["path": "\(path)"])
            }
            if let mode = kept.exposedMode {
                logger.warning("the secret key file may be read by other users; chmod 600 it", metadata: [
                    "path": "\(path)", "mode": "0\(String(mode, radix: 8))"])
            }
        } catch {
            throw .failed("not starting the server: \(error.description)")
        }
    }
}

/// Settings with which Open WebUI starts but misbehaves; warnings only, the server is started anyway.
/// One warning per unmet requirement of Open WebUI's scale-out checklist (nothing for a single instance);
/// with --require-scale-out-safe, errors and exit 1 before anything is made or started.
private func checkScaleOut(_ checklist: ScaleOutChecklist, strict: Bool, logger: Logger) throws(StepEnd) {
    for finding in checklist.unmet {
        if strict { logger.error("scale-out: \(finding.line)") } else { logger.warning("scale-out: \(finding.line)") }
    }
    guard strict, !checklist.unmet.isEmpty else { return }
    throw .failed("not starting the server: \(checklist.unmet.count) scale-out requirement(s) not met (--require-scale-out-safe)")
}

/// After the usage-tracking step: what this program made for the server (webui.db, its folder) becomes its user's.
extension StartStep {
    static let handOverCreatedFiles = StartStep(name: "hand over the files made for the server") { state throws(StepEnd) in
        state.server.handOverCreatedFiles(logger: state.logger)
    }
}
