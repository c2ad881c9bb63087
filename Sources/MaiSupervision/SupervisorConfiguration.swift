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
    /// The child's environment, byte for byte; nil passes the supervisor's own.
    public var environment: EnvironmentBlock?
    /// Probing the web server until it is ready, and holding back a stop while it starts; nil: neither.
    public var readiness: ReadinessConfiguration?

    public init() {}
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
