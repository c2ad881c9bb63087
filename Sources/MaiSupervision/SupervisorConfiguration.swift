import MaiHealth
import MaiSystem

public struct SupervisorConfiguration: Sendable {
    /// How long the child has to exit after the first TERM or INT before its process group is killed.
    public var stopTimeout: Duration = .seconds(8)
    /// How long a first TERM waits before it is forwarded, while `healthcheck` fails (zero: forwarded at once,
    /// and no state file is written). The stop timeout counts from the forward.
    public var drain: Duration = .zero
    /// Where the supervisor tells `healthcheck` that it is stopping; used only with a drain.
    public var stateFile = SupervisorStateFile()
    /// How long the processes left behind by the child have between TERM and KILL.
    public var orphanGrace: Duration = .seconds(2)
    /// Forward signals to the child's whole process group instead of the child alone.
    public var signalGroup = false
    /// Exit 0 when the child dies of the very TERM or INT that was forwarded to stop it.
    public var cleanStopStatus = false
    /// When set, the child's stdout and stderr lines are prefixed with this tag.
    public var outputTag: String?
    /// Without a tag: the child's stdout is this program's stderr (a subcommand whose stdout is its report,
    /// `move-to-postgresql --bootstrap`, keeps the server's lines out of it).
    public var outputToStandardError = false
    /// The child's environment, byte for byte; nil passes the supervisor's own.
    public var environment: EnvironmentBlock?
    /// The user and groups the child runs as; nil: the supervisor's own.
    public var credentials: Credentials?
    /// Probing the web server until it is ready, and holding back a stop while it starts; nil: neither.
    public var readiness: ReadinessConfiguration?
    /// A command started beside the server once it has settled (see `FollowUp`); nil: none.
    public var followUp: FollowUp?
    /// Stop the server as a TERM would once it is ready (or given up on): a run whose only purpose is the
    /// server's start, such as making Open WebUI's schema in a new database (`move-to-postgresql --bootstrap`).
    public var stopWhenReady = false

    public init() {}

    /// Work that must wait for the server's start but must not block this loop (the usage-tracking step after
    /// the app's own migrations): started once the server is ready, or right after the start without a
    /// readiness probe, and never when the server has exited or a stop has begun. It inherits stdout and
    /// stderr, runs as this process's user, in a process group of its own, and gets TERM when a stop begins.
    public struct FollowUp: Sendable {
        public var command: [[UInt8]]
        public var environment: EnvironmentBlock
        /// Its failure (any status but 0) stops the server as a TERM would, and the run exits 1.
        public var required: Bool

        public init(command: [[UInt8]], environment: EnvironmentBlock, required: Bool) {
            self.command = command
            self.environment = environment
            self.required = required
        }
    }
}

/// How the supervised child came to its end, as the final log line says it.
public enum StopReason: String, Sendable {
    case exitedOnItsOwn = "exited on its own"
    case cleanStop = "clean stop"
    case killedAtDeadline = "killed at the stop deadline"
}

public struct SupervisionOutcome: Sendable, Equatable {
    public let childStatus: ExitStatus
    public let reason: StopReason
    /// The status the program exits with.
    public let exitStatus: Int32
}
