import Glibc
import Logging
import MaiSystem

/// The single loop that owns every child: it starts the command, forwards signals, reaps everything that
/// exits, enforces the stop deadline and cleans up what the child left behind. It sleeps in poll() with no
/// timeout unless a deadline is pending, so an idle supervisor costs no CPU.
public struct Supervisor: ~Copyable {
    private let configuration: SupervisorConfiguration
    private let inbox: SignalInbox
    private let logger: Logger
    private let policy: SignalPolicy

    private var child: pid_t = 0
    private var childStarted = MonotonicInstant.now()
    private var childStatus: ExitStatus?
    private var stop: StopState?
    private var readiness: Readiness?
    /// A TERM or INT that arrived while the web server was starting, waiting to be forwarded.
    private var heldStop: HeldStop?
    private var cleanup: OrphanCleanup?
    private var orphansReaped = 0
    private var relays: [OutputRelay] = []

    public init(configuration: SupervisorConfiguration, inbox: SignalInbox, logger: Logger) {
        self.configuration = configuration
        self.inbox = inbox
        self.logger = logger
        self.policy = SignalPolicy(terminalAttached: isatty(STDIN_FILENO) == 1)
    }

    /// Makes sure orphans come back to this process when it is not PID 1; returns the mode for the start line.
    public static func prepareReaping() throws(SystemError) -> String {
        if isProcessOne { return "pid1" }
        try becomeChildSubreaper()
        return "subreaper"
    }

    /// Runs the command until it and everything it started have ended.
    public mutating func run(_ command: [[UInt8]]) throws -> SupervisionOutcome {
        try start(command)
        while cleanup?.finished != true {
            var interests = ([inbox.descriptor] + relays.filter(\.isOpen).map(\.source)).map { PollInterest($0) }
            if let probe = readiness?.interest { interests.append(probe) }
            let ready = try waitForEvents(interests, timeout: timeUntilNextDeadline())
            if ready.contains(inbox.descriptor) { try handleSignals() }
            for relay in relays where ready.contains(relay.source) { try relay.pump() }
            try handleReadiness(ready)
            try handleDeadlines()
        }
        // No process is left to write: what the pipes still hold is all there will be.
        for relay in relays { try relay.drain() }
        return outcome()
    }

    // MARK: Start

    private mutating func start(_ command: [[UInt8]]) throws {
        var options = SpawnOptions(environment: configuration.environment)
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        if let tag = configuration.outputTag {
            let out = try Pipe(), err = try Pipe()
            childEnds = [out.writeEnd, err.writeEnd]
            options.standardOutput = out.writeEnd
            options.standardError = err.writeEnd
            relays.append(try OutputRelay(source: out.readEnd, destination: STDOUT_FILENO, tag: tag))
            relays.append(try OutputRelay(source: err.readEnd, destination: STDERR_FILENO, tag: tag))
        }
        child = try spawnProcess(command, options: options)
        childStarted = MonotonicInstant.now()
        logger.info("child started", metadata: ["pid": .stringConvertible(child), "command": "\(command.map(displayText).joined(separator: " "))"])
        if let configuration = configuration.readiness { readiness = Readiness(configuration, started: childStarted) }
    }

    // MARK: Readiness

    private mutating func handleReadiness(_ ready: Set<Int32>) throws {
        switch readiness?.step(readyDescriptors: ready) {
        case .ready(let elapsed)?:
            logger.info("Web server ready after \(elapsed.secondsText) s", metadata: ["url": "\(readiness?.configuration.url.description ?? "")"])
            try releaseHeldStop()
        case .gaveUp?:
            let timeout = readiness?.configuration.readyTimeout.secondsText ?? ""
            logger.warning("Web server not ready after \(timeout) s; no longer probing", metadata: ["url": "\(readiness?.configuration.url.description ?? "")"])
            try releaseHeldStop()
        case nil:
            return
        }
    }

    /// Holds a first stop while the web server starts: a TERM in the middle of its migrations breaks its database.
    private mutating func holdStopDuringStartup(_ signal: Signal) -> Bool {
        guard heldStop == nil, stop == nil, childStatus == nil, let readiness, !readiness.finished,
              readiness.configuration.startupGrace > .zero else { return false }
        let grace = readiness.configuration.startupGrace
        heldStop = HeldStop(signal: signal, deadline: MonotonicInstant.now().advanced(by: grace))
        logger.warning("stop requested while the web server is starting; waiting up to \(grace.secondsText) s", metadata: [
            "signal": "\(signal)",
        ])
        return true
    }

    private mutating func releaseHeldStop() throws {
        guard let held = heldStop else { return }
        heldStop = nil
        try beginStop(held.signal)
    }

    // MARK: Signals

    private mutating func handleSignals() throws {
        while let received = try inbox.next() {
            switch policy.action(for: received) {
            case .reap: try reapChildren()
            case .stop: try requestStop(received.signal)
            case .forward: try forward(received.signal)
            case .ignore: logger.debug("signal not forwarded", metadata: ["signal": "\(received.signal)"])
            }
        }
    }

    private var forwardTarget: pid_t { configuration.signalGroup ? -child : child }

    private func forward(_ signal: Signal) throws {
        guard childStatus == nil else {
            logger.debug("signal not forwarded: the child has exited", metadata: ["signal": "\(signal)"])
            return
        }
        try sendSignal(signal, to: forwardTarget)
        logger.info("forwarded signal", metadata: ["signal": "\(signal)", "pid": .stringConvertible(forwardTarget)])
    }

    private mutating func requestStop(_ signal: Signal) throws {
        if heldStop != nil {
            // A second TERM or INT while one is held: the operator insists, forward it now.
            heldStop = nil
            return try beginStop(signal)
        }
        if holdStopDuringStartup(signal) { return }
        try beginStop(signal)
    }

    private mutating func beginStop(_ signal: Signal) throws {
        if childStatus != nil {
            // The child is gone; a stop signal now means: do not wait for the orphans' grace.
            try cleanup?.killNow(logger: logger)
        } else if stop != nil {
            logger.warning("second stop signal: killing the child's process group now", metadata: ["signal": "\(signal)"])
            stop?.escalation = .secondSignal
            try sendSignal(.kill, to: -child)
        } else {
            stop = StopState(signal: signal, deadline: MonotonicInstant.now().advanced(by: configuration.stopTimeout))
            logger.info("stop requested; forwarding", metadata: [
                "signal": "\(signal)", "pid": .stringConvertible(forwardTarget), "stop_timeout": "\(configuration.stopTimeout.secondsText)s",
            ])
            try sendSignal(signal, to: forwardTarget)
        }
    }

    // MARK: Reaping

    private mutating func reapChildren() throws {
        while case .reaped(let pid, let status) = try reapAnyChild() {
            if pid == child {
                childStatus = status
                readiness?.cancel()
                heldStop = nil
                logger.info("child exited", metadata: [
                    "pid": .stringConvertible(pid), "status": "\(status)", "uptime": "\(childStarted.duration(to: .now()).secondsText)s",
                ])
            } else {
                orphansReaped += 1
                logger.debug("reaped orphan", metadata: ["pid": .stringConvertible(pid), "status": "\(status)"])
            }
        }
        if childStatus != nil && cleanup == nil {
            var cleanup = OrphanCleanup(childGroup: child, grace: configuration.orphanGrace)
            if try hasChildren() { try cleanup.terminate(logger: logger) }
            self.cleanup = cleanup
        }
    }

    // MARK: Deadlines

    private var stopDeadline: MonotonicInstant? {
        guard let stop, childStatus == nil, stop.escalation == nil else { return nil }
        return stop.deadline
    }

    private func timeUntilNextDeadline() -> Duration? {
        let deadlines = [stopDeadline, cleanup?.deadline, heldStop?.deadline, readiness?.nextWake]
        guard let next = deadlines.compactMap({ $0 }).min() else { return nil }
        return max(.zero, MonotonicInstant.now().duration(to: next))
    }

    private mutating func handleDeadlines() throws {
        let now = MonotonicInstant.now()
        if let held = heldStop, now >= held.deadline {
            logger.warning("the web server is still not ready; forwarding the stop", metadata: ["signal": "\(held.signal)"])
            try releaseHeldStop()
        }
        if let deadline = stopDeadline, now >= deadline {
            logger.warning("stop deadline reached; killing the child's process group", metadata: [
                "pid": .stringConvertible(child), "stop_timeout": "\(configuration.stopTimeout.secondsText)s",
            ])
            stop?.escalation = .deadline
            try sendSignal(.kill, to: -child)
        }
        if let deadline = cleanup?.deadline, now >= deadline { try cleanup?.killNow(logger: logger) }
        if cleanup != nil, cleanup?.finished == false, try !hasChildren() {
            cleanup?.finished = true
            if let cleanup, cleanup.terminated > 0 {
                logger.info("orphans cleaned up", metadata: [
                    "reaped": .stringConvertible(orphansReaped), "killed": .stringConvertible(cleanup.killed),
                ])
            }
        }
    }

    // MARK: Outcome

    private func outcome() -> SupervisionOutcome {
        let status = childStatus ?? .exited(0)
        let reason: StopReason = switch stop?.escalation {
        case .deadline: .killedAtDeadline
        case .secondSignal: .killedOnSecondSignal
        case nil: stop == nil ? .exitedOnItsOwn : .cleanStop
        }
        var exitStatus = status.shellStatus
        if configuration.cleanStopStatus, reason == .cleanStop, status == .signaled(stop?.signal ?? .kill) {
            exitStatus = 0
        }
        return SupervisionOutcome(childStatus: status, reason: reason, exitStatus: exitStatus)
    }
}

struct HeldStop {
    let signal: Signal
    let deadline: MonotonicInstant
}

struct StopState {
    enum Escalation { case deadline, secondSignal }
    let signal: Signal
    let deadline: MonotonicInstant
    var escalation: Escalation?
}
