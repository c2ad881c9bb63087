import ArgumentParser
import Logging
import MaiDatabase
import MaiEnvironment
import MaiLogging
import MaiSupervision
import MaiSystem

/// The main run, step by step. Step 1, blocking every signal, was done first thing in `main`: every wait below
/// listens to the same inbox, and a TERM or INT that arrives before the child is started ends the program with
/// 128+N without starting it. Returns the exit status.
func runPipeline(_ options: RunCommand, command: [[UInt8]], context: StartContext) throws -> Int32 {
    // 2. Every option and MAI_ENTRYPOINT_* variable, checked before anything is logged or read.
    let request = try options.settings(OptionEnvironment(context.environment)).environmentRequest
    guard !command.isEmpty else { throw UsageError("no command given: use mai-entrypoint [OPTIONS] -- COMMAND [ARGS...]") }

    // 3. The environment: env files and secret files over the process environment, one block of raw entries.
    //    MAI_ENTRYPOINT_* lines in the files count as the process environment's (which still wins).
    let loaded = try options.environmentFiles.load(request, processEnvironment: context.environment)
    let (optionEnvironment, ignored) = EnvironmentFileOptions.optionEnvironment(context.environment, loaded)
    let settings = try options.settings(optionEnvironment)
    bootstrapLogging(settings.logging)
    let logger = Logger(label: "mai-entrypoint")
    try refuseMissingCommand(command, environment: loaded.environment, logger: logger)
    try announceStart(logger: logger)
    EnvironmentFileOptions.logLoaded(loaded, ignored: ignored, to: logger)
    var configuration = settings.supervisor
    configuration.readiness = try settings.readiness.configuration(port: loaded.environment["PORT"])

    // 4. The lock on SQLite's folders (one writer per database file), before anything touches the data; held
    //    until the program exits. Then what the server finds: warnings about its settings, its user (--user) and
    //    a DATA_DIR that user can write, a secret key kept in DATA_DIR when none is given.
    var locks = try DataLocks(OpenWebUIDatabase.resolve(loaded.environment.values),
                              dataDirectory: OpenWebUIDatabase.dataDirectory(loaded.environment.values),
                              settings.dataSafety, inbox: context.inbox, logger: logger)
    let server = try prepareServer(settings.serverUser, environment: loaded.environment, logger: logger)
    try locks.takeMade(settings.dataSafety, inbox: context.inbox, logger: logger)
    configuration.environment = server.environment
    configuration.credentials = server.account?.credentials

    // 5. The database, for Open WebUI's sake and ours; a TERM or INT during any of it ends the program here.
    //    The backup before Open WebUI's migrations and the report of an interrupted one; PostgreSQL: replicas
    //    take turns through Open WebUI's pending migrations, each until its server is ready (the gate covers the
    //    usage step too, which may set tables aside for them); then usage tracking, now or, when the app's own
    //    migration makes the usage tables, after the server has run it; what it creates becomes the server's.
    let variables = server.environment.values
    let database = OpenWebUIDatabase.resolve(variables)
    let dataDirectory = OpenWebUIDatabase.dataDirectory(variables)
    try OpenWebUIDataStep(settings: settings.dataSafety, initRequired: settings.database.required, inbox: context.inbox,
                          logger: logger).run(database, dataDirectory: dataDirectory)
    let gate = try passMigrationGate(database, settings.dataSafety, inbox: context.inbox, logger: logger)
    try warnOfEmptyServer(database, dataDirectory: dataDirectory, settings.dataSafety, inbox: context.inbox, logger: logger)
    let scripts = UsageTrackingConfiguration(environment: variables).isConfigured
        ? installedMigrationScripts(settings.dataSafety, logger: logger, otherwise: "the usage tables are made before the server starts",
                                   missing: .debug) : nil
    if try initializeBeforeStart(environment: variables, options: settings.database, scripts: scripts, inbox: context.inbox) {
        configuration.followUp = UsageTrackingFollowUp.task(settings: settings, environment: server.environment)
    }
    server.handOverCreatedFiles(logger: logger)

    // 6. Supervise, unless a stop was asked for meanwhile (looked at without taking it from the queue).
    if let signal = context.inbox.pendingStopRequest() {
        logger.warning("not starting the server: stopped by \(signal) before it was started")
        return 128 + signal.rawValue
    }
    return try withExtendedLifetime(locks) {
        try superviseCommand(command, configuration: configuration, inbox: context.inbox, logger: logger,
                             whenSettled: releaseWhenSettled(gate, logger: logger))
    }
}
