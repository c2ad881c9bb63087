import ArgumentParser
import Logging
import MaiEnvironment
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSupervision
import MaiSystem
import MaiUsageTracking

/// The main run. Step 1, blocking every signal, was done first thing in `main`: every wait below listens to the
/// same inbox, and a TERM or INT that arrives before the child is started ends the program with 128+N without
/// starting it. `options` is nil when the command line held none (see `SettingsGroup`). Returns the exit status.
func runPipeline(_ options: RunCommand?, command: [[UInt8]], context: StartContext) throws -> Int32 {
    var state = try startState(options, command: command, context: context)
    let steps: [StartStep] = [
        .lockData,                 // one writer per SQLite file, before anything touches the data
        .prepareServer,            // scale-out warnings, --user and its DATA_DIR, the kept secret key
        .lockMadeData,             // the folders the preparation made
        .protectOpenWebUIData,     // an interrupted migration reported, a backup before pending ones
        .passMigrationGate,        // PostgreSQL: one replica at a time through Open WebUI's migrations
        .warnOfEmptyServer,        // PostgreSQL: users left behind in webui.db
        .initializeUsageTracking,  // now, or after the app's own migration (a follow-up child)
        .handOverCreatedFiles,     // what the steps made becomes the server user's
        .refusePendingStop,        // a TERM or INT meanwhile, looked at without taking it from the queue
    ]
    if let status = runSteps(steps, &state) { return status }
    return try withExtendedLifetime(state.locks) {
        try superviseCommand(command, configuration: state.configuration, inbox: context.inbox, logger: state.logger,
                             whenSettled: releaseWhenSettled(state.gate, logger: state.logger))
    }
}

/// Options, environment and logging: what every step needs. A usage error or an unreadable env file ends the
/// run here, with the one line `EntryPoint` writes for it.
private func startState(_ options: RunCommand?, command: [[UInt8]], context: StartContext) throws -> StartState {
    // Every option and MAI_ENTRYPOINT_* variable, checked before anything is logged or read. This first
    // reading names the env files; the options are read again once they are loaded when an env file set a
    // MAI_ENTRYPOINT_* line, which counts as the process environment's (the process environment still wins).
    let beforeFiles = try RunCommand.settings(options, OptionEnvironment(context.environment))
    guard !command.isEmpty else { throw UsageError("no command given: use mai-entrypoint [OPTIONS] -- COMMAND [ARGS...]") }
    // The environment: env files and secret files over the process environment, one block of raw entries.
    let loaded = try EnvironmentFileOptions.load(beforeFiles.environmentRequest, processEnvironment: context.environment)
    let (optionEnvironment, ignored) = EnvironmentFileOptions.optionEnvironment(context.environment, loaded)
    let settings = optionEnvironment.setByFiles ? try RunCommand.settings(options, optionEnvironment) : beforeFiles
    bootstrapLogging(settings.logging)
    let logger = Logger(label: "mai-entrypoint")
    try refuseMissingCommand(command, environment: loaded.environment, logger: logger)
    try announceStart(logger: logger)
    EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: logger)
    var configuration = settings.supervisor
    configuration.readiness = try settings.readiness.configuration(port: loaded.environment["PORT"])
    let variables = loaded.environment.values
    let dataDirectory = OpenWebUIDatabase.dataDirectory(variables)
    let location = Result { () throws(DatabaseError) in try DatabaseLocation.resolve(variables, dataDirectory: dataDirectory) }
    return StartState(settings: settings, logger: logger, stop: .listening(to: context.inbox),
                      inbox: context.inbox, resolvedLocation: location, dataDirectory: dataDirectory,
                      server: PreparedServer(environment: loaded.environment), configuration: configuration,
                      scripts: InstalledMigrationScripts(given: settings.dataSafety.openWebUIDirectory, logger: logger))
}

extension StartStep {
    static let refusePendingStop = StartStep(name: "refuse a pending stop") { state throws(StepEnd) in
        if let signal = state.inbox.pendingStopRequest() { throw .stopped(signal, during: "before it was started") }
    }
}
