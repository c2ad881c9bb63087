import ArgumentParser
import Glibc
import Logging
import MaiEnvironment
import MaiLogging
import MaiOpenWebUI
import MaiSQL
import MaiSupervision
import MaiSystem
import MaiUsageTracking

/// What the steps of a run share, worked out once: the checked settings, where the database Open WebUI will
/// use is, the logger, the one stop token, and what the steps build for the supervisor.
struct StartState {
    let settings: RunSettings
    let logger: Logger
    /// Every wait of every step listens to it; a TERM or INT seen once is seen by every later step.
    let stop: StopRequests
    let inbox: SignalInbox
    /// Where the database Open WebUI resolves from this environment is, or why its URL is unusable (the usage
    /// step names what is wrong with it; the server will fail on it too).
    let resolvedLocation: Result<DatabaseLocation, DatabaseError>
    var location: DatabaseLocation? { try? resolvedLocation.get() }
    let dataDirectory: String
    /// The environment as loaded (env files, secret files): the server's until `prepareServer` adds to it.
    var server: PreparedServer
    var configuration: SupervisorConfiguration
    /// Open WebUI's migration scripts, read by whichever step needs them first.
    let scripts: InstalledMigrationScripts
    var locks = DataLocks()
    var gate: MigrationGate.Hold?
}

/// How a step ends when the run goes no further. A step that returns lets the next one run.
enum StepEnd: Error {
    /// A TERM or INT arrived before the server was started: nothing more is started, the run exits 128+N.
    /// `during` ends the one line that says so (`not starting the server: stopped by TERM during …`).
    case stopped(Signal, during: String)
    /// The run cannot go on. The line says what and why; the status is 1, or 2 for a usage error (then the
    /// line reads as every usage error does, `mai-entrypoint: error: …`).
    case failed(status: Int32, line: String)

    static func failed(_ line: String) -> StepEnd { .failed(status: 1, line: line) }
    /// A value the command line or the environment gave that cannot work (2, as every usage error exits).
    static func usage(_ line: String) -> StepEnd { .failed(status: usageStatus, line: line) }
    static let usageStatus: Int32 = 2
}

/// One step of the start-up, between the environment and the supervisor.
struct StartStep: Sendable {
    let name: String
    let run: @Sendable (inout StartState) throws(StepEnd) -> Void
}

/// Runs the steps in order, and is the one place that turns a step's end into its line and exit status.
/// Returns nil when every step passed.
func runSteps(_ steps: [StartStep], _ state: inout StartState) -> Int32? {
    for step in steps {
        do {
            state.logger.trace("start step: \(step.name)")
            try step.run(&state)
        } catch {
            switch error {
            case .stopped(let signal, let during):
                state.logger.warning("not starting the server: stopped by \(signal) \(during)")
                return signal.exitStatus
            case .failed(let status, let line) where status == StepEnd.usageStatus:
                EntryPoint.writeLine(fatalLine(line), to: STDERR_FILENO)
                return status
            case .failed(let status, let line):
                state.logger.error("\(line)")
                return status
            }
        }
    }
    return nil
}
