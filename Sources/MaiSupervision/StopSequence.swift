import MaiHealth
import MaiSystem

/// How the supervised child is brought to an end, as a value: the loop feeds it events (a stop signal, the
/// server settling, the child's exit, the clock) and carries out the actions it returns. Unit tests drive it
/// with instants of their choosing, no process needed. Its whole state is one `State`, so that no order of
/// assignments has to keep, say, a held stop and a forwarded one from existing together.
///
///   starting ──ready, or given up on──────────────────────────────────────────────▶ running
///   starting ──TERM/INT──▶ holding ──ready / grace over / second TERM or INT──────┐
///   running ──TERM, with a drain──▶ draining ──drain over / second TERM or INT─────┤
///   running, or starting with no grace ──TERM/INT (an INT never drains)────────────┴▶ stopping
///   stopping ──stop timeout──▶ stopping, killed: KILL the child's group   (later TERM/INT: forwarded, as tini does)
///   any of these ──child reaped──▶ exited: processes left? TERM them ──orphan grace or a stop──▶ KILL every 50 ms
///                                  ──▶ done: none left, all gone, or still there max(orphan grace, 1 s) after KILL
struct StopSequence {
    enum State: Equatable {
        /// The server is not ready yet: a first stop is held for up to the start-up grace (its migrations must
        /// not be cut short), and never drained (a server never ready was never sent requests).
        case starting
        /// Ready, given up on, or never probed: a first TERM drains, when there is a drain.
        case running
        /// A stop that came while the server started; the child has not had it.
        case holding(Signal, until: MonotonicInstant)
        /// A TERM kept back while load balancers stop sending requests (`healthcheck` now fails).
        case draining(Signal, until: MonotonicInstant)
        /// The stop signal has been forwarded.
        case stopping(Stop)
        /// The child has been reaped; `stop`: the one it was given, if it was (a held or draining stop never was).
        case exited(ExitStatus, stop: Stop?, orphans: Orphans)
    }

    struct Stop: Equatable {
        let signal: Signal
        let deadline: MonotonicInstant
        /// The deadline has passed and the child's group has had KILL: no deadline is pending any more.
        var killed = false
    }

    /// The processes the child left behind. When a process dies, the kernel gives its children to the nearest
    /// ancestor marked a child subreaper, else to PID 1 of its PID namespace: here, either way, to us.
    enum Orphans: Equatable {
        case terminating(until: MonotonicInstant)
        case killing(next: MonotonicInstant, giveUp: MonotonicInstant)
        /// None were left, they have gone, or they were given up on.
        case done
    }

    /// Why a stop is forwarded now.
    enum StopStart: Equatable {
        /// A TERM or INT, forwarded as it came.
        case requested
        /// A held stop, released because the server became ready (or readiness gave up).
        case serverSettled
        /// A held stop, released because the start-up grace is over.
        case graceOver
        /// A second TERM or INT came while one was held: the operator insists.
        case insisted
        /// The drain is over: load balancers have had the time to notice the failing health check.
        case drained
        /// A second TERM or INT came during the drain: the operator does not want to wait.
        case drainCutShort
    }

    enum Action: Equatable {
        /// Hold the stop while the server starts (its migrations must not be cut short).
        case hold(Signal, until: MonotonicInstant)
        /// Hold the stop while load balancers stop sending requests (`healthcheck` now fails).
        case drain(Signal, until: MonotonicInstant)
        /// Forward the stop signal; the stop deadline runs from now.
        case beginStop(Signal, StopStart, deadline: MonotonicInstant)
        /// Forward a repeated stop signal; the deadline stays where it is.
        case forward(Signal)
        /// The stop timeout has passed: KILL the child's process group.
        case killChildGroup
        /// The child has exited and left processes behind: TERM them.
        case terminateOrphans
        /// The orphan grace has passed (or is cut short): KILL what is left; repeated while processes remain.
        case killOrphans
        /// The processes left behind have all ended after TERM or KILL.
        case orphansGone
        /// KILL did not end them (EPERM, uninterruptible sleep): stop waiting, exit anyway.
        case abandonOrphans
    }

    /// A KILL round repeats this often while processes remain: a killed parent hands its children to us.
    static let killRepeat: Duration = .milliseconds(50)
    /// After the first KILL, how long processes have to disappear before the supervisor exits anyway.
    static let shortestKillWait: Duration = .seconds(1)

    let stopTimeout: Duration
    let orphanGrace: Duration
    let startupGrace: Duration
    /// How long a first TERM waits before it is forwarded to a ready server; zero forwards at once.
    let drain: Duration
    private(set) var state: State

    /// `serverStarting`: a readiness probe will say when the server is ready (`serverSettled`); until then a
    /// first stop is held. Without one, the server counts as running from the start.
    init(stopTimeout: Duration, orphanGrace: Duration, startupGrace: Duration, drain: Duration = .zero,
         serverStarting: Bool = false) {
        self.stopTimeout = stopTimeout
        self.orphanGrace = orphanGrace
        self.startupGrace = startupGrace
        self.drain = drain
        self.state = serverStarting ? .starting : .running
    }

    // MARK: Views

    /// Supervision is over: the child has exited and what it left behind is gone (or given up on).
    var finished: Bool {
        guard case .exited(_, _, .done) = state else { return false }
        return true
    }

    /// The child's status once it has been reaped; nil while it runs.
    var childStatus: ExitStatus? {
        guard case .exited(let status, _, _) = state else { return nil }
        return status
    }

    /// The stop that was forwarded, if one was (kept once the child has exited).
    var stop: Stop? {
        switch state {
        case .stopping(let stop): return stop
        case .exited(_, let stop, _): return stop
        case .starting, .running, .holding, .draining: return nil
        }
    }

    /// The stop signal that began the stop, if one did.
    var stopSignal: Signal? { stop?.signal }

    var killedAtDeadline: Bool { stop?.killed ?? false }

    var isHolding: Bool {
        guard case .holding = state else { return false }
        return true
    }

    var isDraining: Bool {
        guard case .draining = state else { return false }
        return true
    }

    /// How the child came to its end, as the final log line says it; meaningful once it has exited.
    var reason: StopReason {
        guard let stop else { return .exitedOnItsOwn }
        return stop.killed ? .killedAtDeadline : .cleanStop
    }

    /// How supervision ended; meaningful once the child has exited. `cleanStopStatus`: a child that died of a TERM
    /// or INT after a clean stop makes the run exit 0 (see `SupervisorConfiguration.cleanStopStatus`).
    func outcome(cleanStopStatus: Bool) -> SupervisionOutcome {
        let status = childStatus ?? .exited(0)
        var exitStatus = status.shellStatus
        if cleanStopStatus, reason == .cleanStop, case .signaled(let signal) = status, signal.isStopRequest { exitStatus = 0 }
        return SupervisionOutcome(childStatus: status, reason: reason, exitStatus: exitStatus)
    }

    /// What `healthcheck` must answer, with a drain; nil once the child has exited (the file is then removed).
    var healthState: SupervisorState? {
        switch state {
        case .starting: return .starting
        case .running: return .running
        case .holding, .draining, .stopping: return .stopping
        case .exited: return nil
        }
    }

    /// When the loop must wake up next for this sequence; nil: no deadline pending.
    var nextDeadline: MonotonicInstant? {
        switch state {
        case .holding(_, let until), .draining(_, let until): return until
        case .stopping(let stop): return stop.killed ? nil : stop.deadline
        case .exited(_, _, .terminating(let until)): return until
        case .exited(_, _, .killing(let next, let giveUp)): return min(next, giveUp)
        case .starting, .running, .exited(_, _, .done): return nil
        }
    }

    // MARK: Events

    /// A TERM or INT arrived. Only a TERM drains (what orchestrators send); an INT is someone at a terminal who
    /// wants it stopped now.
    mutating func stopRequested(_ signal: Signal, now: MonotonicInstant) -> [Action] {
        switch state {
        case .starting:
            guard startupGrace > .zero else { return [begin(signal, .requested, now)] }
            state = .holding(signal, until: now.advanced(by: startupGrace))
            return [.hold(signal, until: now.advanced(by: startupGrace))]
        case .running:
            guard signal == .terminate, drain > .zero else { return [begin(signal, .requested, now)] }
            state = .draining(signal, until: now.advanced(by: drain))
            return [.drain(signal, until: now.advanced(by: drain))]
        case .holding:
            // The operator insists: this signal goes out now, in place of the one held (as it was held, the
            // child never had it; one stop signal, not two, so that the server still stops gracefully).
            return [begin(signal, .insisted, now)]
        case .draining:
            // As for a held stop: this signal goes out now, in place of the one draining.
            return [begin(signal, .drainCutShort, now)]
        case .stopping:
            return [.forward(signal)]
        case .exited(_, _, .terminating):
            // The child is gone; a stop now means: do not wait out the orphans' grace.
            return startKilling(now)
        case .exited:
            return []
        }
    }

    /// The server became ready, or readiness gave up: a held stop goes out now.
    mutating func serverSettled(now: MonotonicInstant) -> [Action] {
        switch state {
        case .starting:
            state = .running
            return []
        case .holding(let signal, _):
            return [begin(signal, .serverSettled, now)]
        case .running, .draining, .stopping, .exited:
            return []
        }
    }

    /// The child has been reaped. `processesLeft`: other children of ours remain (orphans it left). A held or
    /// draining stop ends here, never forwarded; a pending deadline with it.
    mutating func childHasExited(_ status: ExitStatus, processesLeft: Bool, now: MonotonicInstant) -> [Action] {
        guard processesLeft else {
            state = .exited(status, stop: stop, orphans: .done)
            return []
        }
        state = .exited(status, stop: stop, orphans: .terminating(until: now.advanced(by: orphanGrace)))
        return [.terminateOrphans]
    }

    /// The clock moved on. `processesLeft` matters only once the child has exited. One call can take several
    /// steps: a stop released at its instant, then (with a stop timeout of zero) its deadline.
    mutating func timePassed(now: MonotonicInstant, processesLeft: Bool) -> [Action] {
        var actions: [Action] = []
        switch state {
        case .holding(let signal, let until) where now >= until: actions.append(begin(signal, .graceOver, now))
        case .draining(let signal, let until) where now >= until: actions.append(begin(signal, .drained, now))
        default: break
        }
        if case .stopping(var stop) = state, !stop.killed, now >= stop.deadline {
            stop.killed = true
            state = .stopping(stop)
            actions.append(.killChildGroup)
        }
        guard case .exited(_, _, let orphans) = state else { return actions }
        return actions + cleanUp(orphans, now: now, processesLeft: processesLeft)
    }

    // MARK: Steps

    private mutating func begin(_ signal: Signal, _ why: StopStart, _ now: MonotonicInstant) -> Action {
        let stop = Stop(signal: signal, deadline: now.advanced(by: stopTimeout))
        state = .stopping(stop)
        return .beginStop(signal, why, deadline: stop.deadline)
    }

    private mutating func cleanUp(_ orphans: Orphans, now: MonotonicInstant, processesLeft: Bool) -> [Action] {
        switch orphans {
        case .done:
            return []
        case _ where !processesLeft:
            setOrphans(.done)
            return [.orphansGone]
        case .terminating(let until) where now >= until:
            return startKilling(now)
        case .killing(_, let giveUp) where now >= giveUp:
            setOrphans(.done)
            return [.abandonOrphans]
        case .killing(let next, let giveUp) where now >= next:
            setOrphans(.killing(next: now.advanced(by: StopSequence.killRepeat), giveUp: giveUp))
            return [.killOrphans]
        case .terminating, .killing:
            return []
        }
    }

    private mutating func startKilling(_ now: MonotonicInstant) -> [Action] {
        let wait = max(orphanGrace, StopSequence.shortestKillWait)
        setOrphans(.killing(next: now.advanced(by: StopSequence.killRepeat), giveUp: now.advanced(by: wait)))
        return [.killOrphans]
    }

    /// Only once the child has exited: before, there is nothing the child could have left behind.
    private mutating func setOrphans(_ orphans: Orphans) {
        guard case .exited(let status, let stop, _) = state else { return }
        state = .exited(status, stop: stop, orphans: orphans)
    }
}
