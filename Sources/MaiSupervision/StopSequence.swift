import MaiSystem

/// How the supervised child is brought to an end, as a value: the loop feeds it events (a stop signal, the
/// server settling, the child's exit, the clock) and carries out the actions it returns. Unit tests drive it
/// with instants of their choosing, no process needed.
///
///   running ──TERM/INT while the server starts──▶ holding ──ready / grace over / second signal──┐
///      ├──TERM, with a drain──▶ draining ──drain over / second TERM or INT────────────────────────┤
///      └──TERM/INT (INT never drains)──────────────────────────────────────────────────────────────┴▶ stopping
///   stopping ──stop timeout──▶ KILL the child's group            (later TERM/INT: forwarded, as tini does)
///   child exited ──processes left──▶ TERM them ──orphan grace──▶ KILL (repeated) ──still there──▶ give up
struct StopSequence {
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

    enum OrphanPhase: Equatable {
        case none
        case terminating(until: MonotonicInstant)
        case killing(next: MonotonicInstant, giveUp: MonotonicInstant)
        case done
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

    private(set) var held: (signal: Signal, until: MonotonicInstant)?
    private(set) var draining: (signal: Signal, until: MonotonicInstant)?
    private(set) var stop: (signal: Signal, deadline: MonotonicInstant)?
    private(set) var killedAtDeadline = false
    private(set) var childExited = false
    private(set) var orphans = OrphanPhase.none

    init(stopTimeout: Duration, orphanGrace: Duration, startupGrace: Duration, drain: Duration = .zero) {
        self.stopTimeout = stopTimeout
        self.orphanGrace = orphanGrace
        self.startupGrace = startupGrace
        self.drain = drain
    }

    /// Supervision is over: the child has exited and what it left behind is gone (or given up on).
    var finished: Bool { childExited && (orphans == .none || orphans == .done) }

    /// The stop signal that began the stop, if one did.
    var stopSignal: Signal? { stop?.signal }

    var isDraining: Bool { draining != nil }

    /// When the loop must wake up next for this sequence; nil: no deadline pending.
    var nextDeadline: MonotonicInstant? {
        var deadlines: [MonotonicInstant] = []
        if let held { deadlines.append(held.until) }
        if let draining { deadlines.append(draining.until) }
        if let stop, !childExited, !killedAtDeadline { deadlines.append(stop.deadline) }
        switch orphans {
        case .terminating(let until): deadlines.append(until)
        case .killing(let next, let giveUp): deadlines.append(min(next, giveUp))
        case .none, .done: break
        }
        return deadlines.min()
    }

    // MARK: Events

    /// A TERM or INT arrived. `serverStarting`: the web server is not ready yet, so a first stop is held, and
    /// never drained: a server that was never ready was never given requests by a load balancer. Only a TERM
    /// drains (what orchestrators send); an INT is someone at a terminal who wants it stopped now.
    mutating func stopRequested(_ signal: Signal, serverStarting: Bool, now: MonotonicInstant) -> [Action] {
        if childExited {
            // The child is gone; a stop now means: do not wait out the orphans' grace.
            guard case .terminating = orphans else { return [] }
            return startKilling(now)
        }
        if held != nil {
            // The operator insists: this signal goes out now, in place of the one held (as it was held,
            // the child never had it; one stop signal, not two, so that the server still stops gracefully).
            held = nil
            return [begin(signal, .insisted, now)]
        }
        if draining != nil {
            // As for a held stop: this signal goes out now, in place of the one draining.
            draining = nil
            return [begin(signal, .drainCutShort, now)]
        }
        if stop != nil { return [.forward(signal)] }
        if serverStarting {
            guard startupGrace > .zero else { return [begin(signal, .requested, now)] }
            held = (signal, now.advanced(by: startupGrace))
            return [.hold(signal, until: now.advanced(by: startupGrace))]
        }
        if signal == .terminate && drain > .zero {
            draining = (signal, now.advanced(by: drain))
            return [.drain(signal, until: now.advanced(by: drain))]
        }
        return [begin(signal, .requested, now)]
    }

    /// The server became ready, or readiness gave up: a held stop goes out now.
    mutating func serverSettled(now: MonotonicInstant) -> [Action] {
        guard let held, !childExited else { return [] }
        self.held = nil
        return [begin(held.signal, .serverSettled, now)]
    }

    /// The child has been reaped. `processesLeft`: other children of ours remain (orphans it left).
    mutating func childHasExited(processesLeft: Bool, now: MonotonicInstant) -> [Action] {
        childExited = true
        held = nil
        draining = nil
        guard processesLeft else {
            orphans = .done
            return []
        }
        orphans = .terminating(until: now.advanced(by: orphanGrace))
        return [.terminateOrphans]
    }

    /// The clock moved on. `processesLeft` matters only once the child has exited.
    mutating func timePassed(now: MonotonicInstant, processesLeft: Bool) -> [Action] {
        var actions: [Action] = []
        if let held, now >= held.until {
            self.held = nil
            actions.append(begin(held.signal, .graceOver, now))
        }
        if let draining, now >= draining.until {
            self.draining = nil
            actions.append(begin(draining.signal, .drained, now))
        }
        if let stop, !childExited, !killedAtDeadline, now >= stop.deadline {
            killedAtDeadline = true
            actions.append(.killChildGroup)
        }
        return actions + orphanStep(now: now, processesLeft: processesLeft)
    }

    // MARK: Steps

    private mutating func begin(_ signal: Signal, _ why: StopStart, _ now: MonotonicInstant) -> Action {
        let deadline = now.advanced(by: stopTimeout)
        stop = (signal, deadline)
        return .beginStop(signal, why, deadline: deadline)
    }

    private mutating func orphanStep(now: MonotonicInstant, processesLeft: Bool) -> [Action] {
        switch orphans {
        case .terminating, .killing:
            if !processesLeft {
                orphans = .done
                return [.orphansGone]
            }
        case .none, .done:
            return []
        }
        switch orphans {
        case .terminating(let until) where now >= until:
            return startKilling(now)
        case .killing(_, let giveUp) where now >= giveUp:
            orphans = .done
            return [.abandonOrphans]
        case .killing(let next, let giveUp) where now >= next:
            orphans = .killing(next: now.advanced(by: StopSequence.killRepeat), giveUp: giveUp)
            return [.killOrphans]
        default:
            return []
        }
    }

    private mutating func startKilling(_ now: MonotonicInstant) -> [Action] {
        let wait = max(orphanGrace, StopSequence.shortestKillWait)
        orphans = .killing(next: now.advanced(by: StopSequence.killRepeat), giveUp: now.advanced(by: wait))
        return [.killOrphans]
    }
}
