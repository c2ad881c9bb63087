import Glibc
import Logging
import MaiHealth
import MaiSystem

/// The single loop that owns every child: it starts the command, forwards signals, reaps everything that
/// exits, carries out the stop sequence and cleans up what the child left behind. It sleeps in poll() with
/// no timeout unless a deadline is pending, so an idle supervisor costs no CPU.
///
/// Once the child runs, nothing ends the loop but the end of supervision (catatonit's rule): a failed
/// system call is logged once, with its errno, and the loop goes on; a descriptor that keeps failing is
/// rested for `errorPause` rather than spun on. Nothing it writes can block it (see `OutputSink`).
public struct Supervisor: ~Copyable {
    /// How long a failing descriptor or call rests before the next try.
    static let errorPause: Duration = .milliseconds(10)

    let configuration: SupervisorConfiguration
    private let inbox: SignalInbox
    let logger: Logger
    private let policy: SignalPolicy
    var sequence: StopSequence

    private var child: pid_t = 0
    private var childStarted = MonotonicInstant.now()
    private var readiness: Readiness?
    private var relays: [OutputRelay] = []
    private var orphansKilled = 0
    /// Failures already logged, by call and errno: each is logged once, however often it recurs.
    var reportedFailures = Set<String>()
    private var inboxPausedUntil: MonotonicInstant?
    private var reapAgainAt: MonotonicInstant?
    /// Called once, when the server has settled: ready, given up on, or exited (see `settled()`).
    private var whenSettled: (() -> Void)?
    /// The follow-up's pid while it runs (0: not started or reaped), and whether a required one failed.
    var followUp: pid_t = 0
    var requiredFollowUpFailed = false
    /// The first TERM or INT that asked this program to stop: for a caller whose own stop (`stopWhenReady`)
    /// ends the child the same way, and who must not go on when it was someone else's.
    public private(set) var stopRequest: Signal?

    /// `whenSettled` runs once the server is ready, the ready timeout has passed or the child has exited; with
    /// no readiness probe, right after the start (there is no other moment to wait for).
    public init(configuration: SupervisorConfiguration, inbox: SignalInbox, logger: Logger,
                whenSettled: (() -> Void)? = nil) {
        self.configuration = configuration
        self.whenSettled = whenSettled
        self.inbox = inbox
        self.logger = logger
        self.policy = SignalPolicy(terminalAttached: isatty(STDIN_FILENO) == 1)
        self.sequence = StopSequence(stopTimeout: configuration.stopTimeout, orphanGrace: configuration.orphanGrace,
                                     startupGrace: configuration.readiness?.startupGrace ?? .zero,
                                     drain: configuration.drain, serverStarting: configuration.readiness != nil)
    }

    /// Makes sure orphans come back to this process when it is not PID 1; returns the mode for the start line.
    public static func prepareReaping() throws(SystemError) -> String {
        if isProcessOne { return "pid1" }
        try becomeChildSubreaper()
        return "subreaper"
    }

    /// Runs the command until it and everything it started have ended. Throws only when the child cannot
    /// be started; after that, it returns.
    public mutating func run(_ command: [[UInt8]]) throws -> SupervisionOutcome {
        try start(command)
        while !sequence.finished {
            let ready = waitForEvents()
            let now = MonotonicInstant.now()
            if ready.contains(inbox.descriptor) { handleSignals() }
            if let due = reapAgainAt, now >= due { reapChildren() }
            pumpRelays(ready, now: now)
            handleReadiness(ready)
            let processesLeft = sequence.childStatus != nil && childrenMayRemain()
            perform(transition { $0.timePassed(now: .now(), processesLeft: processesLeft) })
            flushOutput()
        }
        // Whether or not this run managed to write it: a file it could not replace is stale anyway.
        if configuration.drain > .zero { configuration.stateFile.remove() }
        finishOutput()
        return outcome()
    }

    // MARK: Start

    private mutating func start(_ command: [[UInt8]]) throws {
        var options = SpawnOptions(environment: configuration.environment)
        options.credentials = configuration.credentials
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        if let tag = configuration.outputTag {
            let out = try Pipe(), err = try Pipe()
            childEnds = [out.writeEnd, err.writeEnd]
            options.standardOutput = out.writeEnd
            options.standardError = err.writeEnd
            relays.append(try OutputRelay(source: out.readEnd, sink: standardOutputSink, tag: tag))
            relays.append(try OutputRelay(source: err.readEnd, sink: standardErrorSink, tag: tag))
        } else if configuration.outputToStandardError {
            options.standardOutput = STDERR_FILENO
        }
        // Before the child exists: a file a previous life left (it would be stale anyway) is replaced first.
        // `starting` until the server is seen ready (see `SupervisorState.starting`).
        if let state = healthState { publish(state) }
        child = try spawnProcess(command, options: options)
        childStarted = MonotonicInstant.now()
        var metadata: Logger.Metadata = ["pid": .stringConvertible(child), "command": "\(command.map(displayText).joined(separator: " "))"]
        if let credentials = configuration.credentials { metadata["user"] = "\(credentials)" }
        logger.info("child started", metadata: metadata)
        if let configuration = configuration.readiness { readiness = Readiness(configuration, started: childStarted, child: child) } else { settled() }
    }

    private mutating func settled() {
        whenSettled?()
        whenSettled = nil
        startFollowUp()
    }

    // MARK: Waiting

    /// Sleeps in poll() until a descriptor is ready or the next deadline; a failed poll rests a moment.
    private mutating func waitForEvents() -> Set<Int32> {
        let now = MonotonicInstant.now()
        var interests: [PollInterest] = []
        if inboxPausedUntil.map({ now >= $0 }) ?? true { interests.append(PollInterest(inbox.descriptor)) }
        interests += relays.filter { $0.wantsInput(now: now) }.map { PollInterest($0.source) }
        interests += [standardOutputSink, standardErrorSink].compactMap(\.interest)
        if let probe = readiness?.interest { interests.append(probe) }
        do {
            return try MaiSystem.waitForEvents(interests, timeout: timeUntilNextDeadline(now))
        } catch {
            report(error)
            pause()
            return []
        }
    }

    /// The earliest deadline, folded without building arrays: this runs at every wake-up.
    private func timeUntilNextDeadline(_ now: MonotonicInstant) -> Duration? {
        var next: MonotonicInstant?
        func consider(_ deadline: MonotonicInstant?) {
            if let deadline, next.map({ deadline < $0 }) ?? true { next = deadline }
        }
        consider(sequence.nextDeadline)
        consider(readiness?.nextWake)
        consider(inboxPausedUntil)
        consider(reapAgainAt)
        for relay in relays { consider(relay.pausedUntil) }
        return next.map { max(.zero, now.duration(to: $0)) }
    }

    // MARK: Output

    private mutating func pumpRelays(_ ready: Set<Int32>, now: MonotonicInstant) {
        for relay in relays where ready.contains(relay.source) && relay.isOpen {
            do {
                try relay.pump()
                relay.pausedUntil = nil
            } catch {
                report(error)
                relay.pausedUntil = now.advanced(by: Supervisor.errorPause)
            }
        }
    }

    private func flushOutput() {
        standardOutputSink.flush()
        standardErrorSink.flush()
    }

    /// How long after the stop deadline the last lines may take to be written to a reader that stalls.
    static let lastWords: Duration = .seconds(2)

    /// No process is left to write: what the pipes still hold is all there will be. It is written out before
    /// the program exits, however long the reader takes, unless a TERM or INT says not to wait, or a stop was
    /// forwarded and its deadline plus `lastWords` has passed: `docker stop` must end the container whatever
    /// the log reader does. What a stalled reader never took is lost then, as with any process that ends.
    private mutating func finishOutput() {
        for relay in relays {
            do { try relay.drain() } catch { report(error) }
        }
        let deadline = sequence.stop?.deadline.advanced(by: Supervisor.lastWords)
        for sink in [standardOutputSink, standardErrorSink] {
            sink.flushWaiting { stopRequestPending() || deadline.map { MonotonicInstant.now() >= $0 } ?? false }
        }
    }

    private func stopRequestPending() -> Bool {
        while let received = try? inbox.next() {
            if SignalPolicy.isStopRequest(received.signal) { return true }
        }
        return false
    }

    // MARK: Readiness

    private mutating func handleReadiness(_ ready: Set<Int32>) {
        let url = readiness?.url.description ?? ""
        switch readiness?.step(readyDescriptors: ready) {
        case .ready(let elapsed)?:
            serverSettled { $0.info("Web server ready after \(elapsed.secondsText) s", metadata: ["url": "\(url)"]) }
        case .gaveUp?:
            let timeout = readiness?.configuration.readyTimeout.secondsText ?? ""
            serverSettled { $0.warning("Web server not ready after \(timeout) s; no longer probing", metadata: ["url": "\(url)"]) }
        case .switched(let previous, let next)?:
            logger.info("readiness probe follows the server to port \(next.address.port)", metadata: [
                "url": "\(next)", "previous_url": "\(previous)",
            ])
        case nil:
            return
        }
    }

    /// Ready, or given up on. The sequence (and the state file) first: `healthcheck` turns green only once a TERM
    /// would be taken for a ready server's, and a stop `settled()` asks for (a required follow-up that cannot
    /// start) is not held. A held stop goes out after `settled()`, which starts no follow-up then.
    private mutating func serverSettled(_ announce: (Logger) -> Void) {
        let released = transition { $0.serverSettled(now: .now()) }
        announce(logger)
        settled()
        perform(released)
        // `stopWhenReady`: the stop a TERM to a ready server would make (no start-up hold: it is ready).
        guard configuration.stopWhenReady, sequence.state == .running else { return }
        logger.info("stopping the server: its start was all this run was for")
        perform(transition { $0.stopRequested(.terminate, now: .now()) })
    }

    // MARK: Signals

    /// Reads every pending signal first, and reaps before anything else when CHLD is among them: a child
    /// that exited on its own in the same wake-up as a TERM has exited on its own.
    /// Signals read in one pass: a burst (real-time signals queue by the tens of thousands) is handled in passes
    /// of this many, the inbox still readable for the next, so that memory stays flat whatever arrives.
    static let signalBatch = 256

    private mutating func handleSignals() {
        var received: [ReceivedSignal] = []
        received.reserveCapacity(Supervisor.signalBatch)
        do {
            while received.count < Supervisor.signalBatch, let next = try inbox.next() { received.append(next) }
            inboxPausedUntil = nil
        } catch {
            report(error)
            inboxPausedUntil = MonotonicInstant.now().advanced(by: Supervisor.errorPause)
        }
        let actions = received.map { policy.action(for: $0) }
        // Reaped first also when a stop is among them: the child's CHLD may wait in a later pass, and a child
        // that exited on its own in the same burst as a TERM has exited on its own.
        if actions.contains(.reap) || actions.contains(.stop) { reapChildren() }
        for (signal, action) in zip(received.map(\.signal), actions) {
            switch action {
            case .reap: continue
            case .stop:
                stopRequest = stopRequest ?? signal
                perform(transition { $0.stopRequested(signal, now: .now()) })
            case .forward: forward(signal)
            case .ignore: logger.debug("signal not forwarded", metadata: ["signal": "\(signal)"])
            }
        }
    }

    private var forwardTarget: pid_t { configuration.signalGroup ? -child : child }

    private mutating func forward(_ signal: Signal) {
        guard sequence.childStatus == nil else {
            logger.debug("signal not forwarded: the child has exited", metadata: ["signal": "\(signal)"])
            return
        }
        send(signal, to: forwardTarget)
        logger.info("forwarded signal", metadata: ["signal": "\(signal)", "pid": .stringConvertible(forwardTarget)])
    }

    private mutating func send(_ signal: Signal, to target: pid_t) {
        do { try sendSignal(signal, to: target) } catch { report(error) }
    }

    // MARK: The stop sequence

    mutating func perform(_ actions: [StopSequence.Action]) {
        for action in actions { perform(action) }
    }

    private mutating func perform(_ action: StopSequence.Action) {
        switch action {
        case .hold(let signal, _):
            logger.warning("stop requested while the web server is starting; waiting up to \(sequence.startupGrace.secondsText) s",
                           metadata: ["signal": "\(signal)"])
        case .drain(let signal, _):
            logger.info("draining for \(configuration.drain.secondsText) s before forwarding \(signal)", metadata: [
                "signal": "\(signal)", "pid": .stringConvertible(forwardTarget),
            ])
        case .beginStop(let signal, let why, _):
            switch why {
            case .graceOver:
                logger.warning("the web server is still not ready; forwarding the stop", metadata: ["signal": "\(signal)"])
            case .drainCutShort:
                logger.info("second stop signal during the drain; forwarding at once", metadata: ["signal": "\(signal)"])
            case .drained:
                logger.info("drain over", metadata: ["signal": "\(signal)"])
            case .requested, .serverSettled, .insisted:
                break
            }
            logger.info("stop requested; forwarding", metadata: [
                "signal": "\(signal)", "pid": .stringConvertible(forwardTarget), "stop_timeout": "\(configuration.stopTimeout.secondsText)s",
            ])
            send(signal, to: forwardTarget)
            // The follow-up waits for a server that is going away: it ends now, with its database work rolled back.
            if followUp != 0 { send(.terminate, to: followUp) }
        case .forward(let signal):
            forward(signal)
        case .killChildGroup:
            logger.warning("stop deadline reached; killing the child's process group", metadata: [
                "pid": .stringConvertible(child), "stop_timeout": "\(configuration.stopTimeout.secondsText)s",
            ])
            send(.kill, to: -child)
        case .terminateOrphans:
            signalOrphans(.terminate)
        case .killOrphans:
            signalOrphans(.kill)
        case .orphansGone:
            logger.info("orphans cleaned up", metadata: ["killed": .stringConvertible(orphansKilled)])
        case .abandonOrphans:
            logger.warning("processes left behind did not end after KILL; exiting anyway", metadata: [
                "count": .stringConvertible(Orphans(childGroup: child).list().count),
            ])
        }
    }

    private mutating func signalOrphans(_ signal: Signal) {
        let orphans = Orphans(childGroup: child)
        let left = orphans.list()
        if signal == .terminate {
            logger.info("child left processes behind; sending TERM", metadata: [
                "count": .stringConvertible(left.count), "orphan_grace": "\(configuration.orphanGrace.secondsText)s",
            ])
        } else if orphansKilled == 0 && !left.isEmpty {
            logger.warning("orphans still running; sending KILL", metadata: ["count": .stringConvertible(left.count)])
        }
        if signal == .kill { orphansKilled += left.count }
        if let failure = orphans.signalAll(signal) { report(failure) }
    }

    // MARK: Reaping

    private mutating func reapChildren() {
        reapAgainAt = nil
        while true {
            let result: ReapResult
            do {
                result = try reapAnyChild()
            } catch {
                report(error)
                // The CHLD that brought us here has been read: try again soon rather than miss the exit.
                reapAgainAt = MonotonicInstant.now().advanced(by: Supervisor.errorPause)
                return
            }
            guard case .reaped(let pid, let status) = result else { return }
            if pid == child { childReaped(status) } else if pid == followUp { followUpReaped(status) } else {
                logger.debug("reaped orphan", metadata: ["pid": .stringConvertible(pid), "status": "\(status)"])
            }
        }
    }

    /// The sequence learns of the exit first: `settled()` then starts no follow-up.
    private mutating func childReaped(_ status: ExitStatus) {
        readiness?.cancel()
        let wasDraining = sequence.isDraining, processesLeft = childrenMayRemain()
        let actions = transition { $0.childHasExited(status, processesLeft: processesLeft, now: .now()) }
        settled()
        logger.info("child exited", metadata: [
            "pid": .stringConvertible(child), "status": "\(status)", "uptime": "\(childStarted.duration(to: .now()).secondsText)s",
        ])
        if wasDraining {
            logger.info("the child exited during the drain; no stop signal to forward", metadata: ["pid": .stringConvertible(child)])
        }
        perform(actions)
    }

    /// Whether any child of ours is left; when the kernel cannot tell, assume so (the sequence still ends).
    private mutating func childrenMayRemain() -> Bool {
        do { return try hasChildren() } catch {
            report(error)
            return true
        }
    }

    // MARK: Failures

    /// Logs a failed call once per call and errno, then the loop goes on.
    mutating func report(_ error: SystemError) {
        let call = error.call.prefix { $0 != "(" }
        guard reportedFailures.insert("\(call) \(error.errno)").inserted else { return }
        logger.error("system call failed; going on", metadata: [
            "call": "\(error.call)", "errno": .stringConvertible(error.errno), "error": "\(error.reason)",
        ])
    }

    private func pause() {
        sleepFor(Supervisor.errorPause)
    }
}
