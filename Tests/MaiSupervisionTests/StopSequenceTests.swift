@testable import MaiSupervision
import MaiSystem
import Testing

/// The stop sequence driven by hand, with instants of the test's choosing: every transition and deadline.
@Suite struct StopSequenceTests {
    let t0 = MonotonicInstant.now()
    func at(_ seconds: Double) -> MonotonicInstant { t0.advanced(by: .milliseconds(Int64(seconds * 1000))) }
    func sequence(startupGrace: Double = 20, drain: Double = 0, serverStarting: Bool = false) -> StopSequence {
        StopSequence(stopTimeout: .seconds(8), orphanGrace: .seconds(2), startupGrace: .milliseconds(Int64(startupGrace * 1000)),
                     drain: .milliseconds(Int64(drain * 1000)), serverStarting: serverStarting)
    }

    @Test func aStopIsForwardedAndTheDeadlineKillsTheGroup() {
        var stop = sequence()
        #expect(stop.nextDeadline == nil)
        #expect(stop.stopRequested(.terminate, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
        #expect(stop.nextDeadline == at(8))
        #expect(stop.timePassed(now: at(7.999), processesLeft: false).isEmpty)
        #expect(stop.timePassed(now: at(8), processesLeft: false) == [.killChildGroup])
        #expect(stop.killedAtDeadline)
        #expect(stop.nextDeadline == nil)
        #expect(stop.timePassed(now: at(9), processesLeft: false).isEmpty)
    }

    @Test func aRepeatedStopIsForwardedAndKeepsTheFirstDeadline() {
        var stop = sequence()
        _ = stop.stopRequested(.interrupt, now: t0)
        #expect(stop.stopRequested(.terminate, now: at(3)) == [.forward(.terminate)])
        #expect(stop.stopRequested(.terminate, now: at(4)) == [.forward(.terminate)])
        #expect(stop.stopSignal == .interrupt)
        #expect(stop.nextDeadline == at(8))
    }

    @Test func aStopWhileTheServerStartsIsHeldUntilReady() {
        var stop = sequence(serverStarting: true)
        #expect(stop.stopRequested(.terminate, now: t0) == [.hold(.terminate, until: at(20))])
        #expect(stop.nextDeadline == at(20))
        #expect(stop.serverSettled(now: at(5)) == [.beginStop(.terminate, .serverSettled, deadline: at(13))])
        #expect(stop.serverSettled(now: at(6)).isEmpty)
        #expect(stop.nextDeadline == at(13))
    }

    @Test func aHeldStopGoesOutWhenTheGraceIsOver() {
        var stop = sequence(serverStarting: true)
        _ = stop.stopRequested(.terminate, now: t0)
        #expect(stop.timePassed(now: at(19.9), processesLeft: false).isEmpty)
        #expect(stop.timePassed(now: at(20), processesLeft: false) == [.beginStop(.terminate, .graceOver, deadline: at(28))])
    }

    @Test func aSecondStopDuringTheHoldIsForwardedAtOnce() {
        var stop = sequence(serverStarting: true)
        _ = stop.stopRequested(.interrupt, now: t0)
        #expect(stop.stopRequested(.terminate, now: at(1)) == [.beginStop(.terminate, .insisted, deadline: at(9))])
        #expect(!stop.isHolding)
        #expect(stop.stopRequested(.terminate, now: at(2)) == [.forward(.terminate)])
    }

    @Test func noHoldWithoutAStartupGrace() {
        var stop = sequence(startupGrace: 0, serverStarting: true)
        #expect(stop.stopRequested(.terminate, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
    }

    @Test func aChildThatExitsAloneEndsTheSequence() {
        var stop = sequence()
        #expect(stop.childHasExited(.exited(0), processesLeft: false, now: t0).isEmpty)
        #expect(stop.finished)
        #expect(stop.stopSignal == nil)
        #expect(stop.stopRequested(.terminate, now: at(1)).isEmpty)
    }

    @Test func theChildsExitCancelsAHeldStopAndTheDeadline() {
        var stop = sequence(serverStarting: true)
        _ = stop.stopRequested(.terminate, now: t0)
        _ = stop.childHasExited(.exited(0), processesLeft: false, now: at(1))
        #expect(!stop.isHolding)
        #expect(stop.nextDeadline == nil)
        #expect(stop.timePassed(now: at(30), processesLeft: false).isEmpty)
        #expect(stop.finished)
    }

    @Test func orphansGetTermThenKillRepeatedThenAreGivenUpOn() {
        var stop = sequence()
        #expect(stop.childHasExited(.exited(0), processesLeft: true, now: t0) == [.terminateOrphans])
        #expect(!stop.finished)
        #expect(stop.nextDeadline == at(2))
        #expect(stop.timePassed(now: at(1), processesLeft: true).isEmpty)
        #expect(stop.timePassed(now: at(2), processesLeft: true) == [.killOrphans])
        #expect(stop.nextDeadline == at(2.05))
        #expect(stop.timePassed(now: at(2.05), processesLeft: true) == [.killOrphans])
        #expect(stop.timePassed(now: at(4), processesLeft: true) == [.abandonOrphans])
        #expect(stop.finished)
    }

    @Test func orphansThatEndAfterTermFinishTheSequence() {
        var stop = sequence()
        _ = stop.childHasExited(.exited(0), processesLeft: true, now: t0)
        #expect(stop.timePassed(now: at(0.5), processesLeft: false) == [.orphansGone])
        #expect(stop.finished)
    }

    @Test func aStopDuringTheOrphanGraceKillsThemAtOnce() {
        var stop = sequence()
        _ = stop.childHasExited(.exited(0), processesLeft: true, now: t0)
        #expect(stop.stopRequested(.terminate, now: at(0.5)) == [.killOrphans])
        #expect(stop.stopRequested(.terminate, now: at(0.6)).isEmpty)
        #expect(stop.timePassed(now: at(0.7), processesLeft: false) == [.orphansGone])
    }

    // MARK: Drain (issue 13, point 3)

    @Test func aTermDrainsFirstThenIsForwardedAndTheDeadlineRunsFromTheForward() {
        var stop = sequence(drain: 5)
        #expect(stop.stopRequested(.terminate, now: t0) == [.drain(.terminate, until: at(5))])
        #expect(stop.isDraining)
        #expect(stop.stopSignal == nil)
        #expect(stop.nextDeadline == at(5))
        #expect(stop.timePassed(now: at(4.999), processesLeft: false).isEmpty)
        #expect(stop.timePassed(now: at(5), processesLeft: false) == [.beginStop(.terminate, .drained, deadline: at(13))])
        #expect(!stop.isDraining)
        #expect(stop.nextDeadline == at(13))
        #expect(stop.timePassed(now: at(12.9), processesLeft: false).isEmpty)
        #expect(stop.timePassed(now: at(13), processesLeft: false) == [.killChildGroup])
    }

    @Test func aSecondTermDuringTheDrainForwardsAtOnce() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, now: t0)
        #expect(stop.stopRequested(.terminate, now: at(1)) == [.beginStop(.terminate, .drainCutShort, deadline: at(9))])
        #expect(!stop.isDraining)
        #expect(stop.nextDeadline == at(9))
        // The drain's end no longer forwards anything; a third TERM is forwarded as during any stop.
        #expect(stop.timePassed(now: at(5), processesLeft: false).isEmpty)
        #expect(stop.stopRequested(.terminate, now: at(6)) == [.forward(.terminate)])
    }

    @Test func anInterruptDuringTheDrainForwardsTheInterruptAtOnce() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, now: t0)
        #expect(stop.stopRequested(.interrupt, now: at(2)) == [.beginStop(.interrupt, .drainCutShort, deadline: at(10))])
        #expect(stop.stopSignal == .interrupt)
    }

    @Test func aFirstInterruptIsNotDrained() {
        var stop = sequence(drain: 5)
        #expect(stop.stopRequested(.interrupt, now: t0) == [.beginStop(.interrupt, .requested, deadline: at(8))])
    }

    @Test func aStopWhileTheServerStartsIsHeldNotDrained() {
        var stop = sequence(drain: 5, serverStarting: true)
        #expect(stop.stopRequested(.terminate, now: t0) == [.hold(.terminate, until: at(20))])
        #expect(!stop.isDraining)
        // Never ready, so never in a load balancer: once settled the stop goes out at once, without a drain.
        #expect(stop.serverSettled(now: at(3)) == [.beginStop(.terminate, .serverSettled, deadline: at(11))])
    }

    @Test func withoutAStartupGraceAStopWhileStartingIsForwardedAtOnceNotDrained() {
        var stop = sequence(startupGrace: 0, drain: 5, serverStarting: true)
        #expect(stop.stopRequested(.terminate, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
    }

    @Test func theChildExitingDuringTheDrainEndsItWithNothingForwarded() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, now: t0)
        #expect(stop.childHasExited(.exited(0), processesLeft: false, now: at(1)).isEmpty)
        #expect(!stop.isDraining)
        #expect(stop.nextDeadline == nil)
        #expect(stop.timePassed(now: at(6), processesLeft: false).isEmpty)
        #expect(stop.stopSignal == nil)
        #expect(stop.finished)
    }

    @Test func theChildExitingDuringTheDrainStillCleansUpOrphans() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, now: t0)
        #expect(stop.childHasExited(.exited(0), processesLeft: true, now: at(1)) == [.terminateOrphans])
        #expect(stop.nextDeadline == at(3))
        #expect(stop.timePassed(now: at(3), processesLeft: true) == [.killOrphans])
    }

    @Test func drainZeroIsTodaysSequence() {
        var stop = sequence(drain: 0)
        #expect(stop.stopRequested(.terminate, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
        #expect(!stop.isDraining)
        #expect(stop.stopRequested(.terminate, now: at(1)) == [.forward(.terminate)])
    }

    // MARK: The states made explicit (issue 23, point 4)

    @Test func aProbedServerStartsInStartingAndOneWithoutAProbeInRunning() {
        #expect(sequence(serverStarting: true).state == .starting)
        #expect(sequence().state == .running)
        #expect(sequence(serverStarting: true).nextDeadline == nil)
    }

    @Test func aServerThatSettlesWithNoStopIsRunningAndAFirstTermThenDrains() {
        var stop = sequence(drain: 5, serverStarting: true)
        #expect(stop.serverSettled(now: at(1)).isEmpty)
        #expect(stop.state == .running)
        #expect(stop.serverSettled(now: at(2)).isEmpty)
        #expect(stop.state == .running)
        #expect(stop.stopRequested(.terminate, now: at(3)) == [.drain(.terminate, until: at(8))])
    }

    @Test func aReadyServerIsSettledOnlyOnceADrainOrStopHasBegun() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, now: t0)
        #expect(stop.serverSettled(now: at(1)).isEmpty)
        #expect(stop.isDraining)
    }

    @Test func aHeldStopThatCameWhileTheServerStartedIsGoneWhenTheChildExits() {
        var stop = sequence(serverStarting: true)
        _ = stop.stopRequested(.terminate, now: t0)
        _ = stop.childHasExited(.exited(3), processesLeft: false, now: at(1))
        #expect(stop.serverSettled(now: at(2)).isEmpty)
        #expect(stop.state == .exited(.exited(3), stop: nil, orphans: .done))
        #expect(stop.reason == .exitedOnItsOwn)
    }

    @Test func theExitKeepsTheStatusAndTheStopItWasGiven() {
        var stop = sequence()
        #expect(stop.childStatus == nil)
        _ = stop.stopRequested(.terminate, now: t0)
        _ = stop.childHasExited(.signaled(.terminate), processesLeft: false, now: at(1))
        #expect(stop.childStatus == .signaled(.terminate))
        #expect(stop.stop == StopSequence.Stop(signal: .terminate, deadline: at(8)))
        #expect(stop.reason == .cleanStop)
    }

    @Test func aChildKilledAtTheDeadlineExitsAsKilled() {
        var stop = sequence()
        _ = stop.stopRequested(.interrupt, now: t0)
        _ = stop.timePassed(now: at(8), processesLeft: false)
        // Killed, the child is still there until reaped: a later stop is still forwarded, no deadline is left.
        #expect(stop.state == .stopping(StopSequence.Stop(signal: .interrupt, deadline: at(8), killed: true)))
        #expect(stop.stopRequested(.terminate, now: at(8.5)) == [.forward(.terminate)])
        _ = stop.childHasExited(.signaled(.kill), processesLeft: false, now: at(9))
        #expect(stop.killedAtDeadline)
        #expect(stop.stopSignal == .interrupt)
        #expect(stop.reason == .killedAtDeadline)
    }

    @Test func withAStopTimeoutOfZeroAReleasedStopIsKilledInTheSameStep() {
        var stop = StopSequence(stopTimeout: .zero, orphanGrace: .seconds(2), startupGrace: .seconds(20), drain: .seconds(5))
        _ = stop.stopRequested(.terminate, now: t0)
        #expect(stop.timePassed(now: at(5), processesLeft: false) == [.beginStop(.terminate, .drained, deadline: at(5)), .killChildGroup])
    }

    @Test func aStopOnceTheOrphansAreBeingKilledChangesNothing() {
        var stop = sequence()
        _ = stop.childHasExited(.exited(0), processesLeft: true, now: t0)
        _ = stop.timePassed(now: at(2), processesLeft: true)
        #expect(stop.stopRequested(.terminate, now: at(2.01)).isEmpty)
        #expect(stop.state == .exited(.exited(0), stop: nil, orphans: .killing(next: at(2.05), giveUp: at(4))))
    }

    @Test func whatHealthcheckAnswersFollowsTheState() {
        var stop = sequence(drain: 5, serverStarting: true)
        #expect(stop.healthState == .starting)
        _ = stop.serverSettled(now: t0)
        #expect(stop.healthState == .running)
        _ = stop.stopRequested(.terminate, now: at(1))
        #expect(stop.healthState == .stopping)
        _ = stop.timePassed(now: at(6), processesLeft: false)
        #expect(stop.healthState == .stopping)
        _ = stop.childHasExited(.exited(0), processesLeft: false, now: at(7))
        #expect(stop.healthState == nil)
        var held = sequence(serverStarting: true)
        _ = held.stopRequested(.terminate, now: t0)
        #expect(held.healthState == .stopping)
    }

    @Test func theOutcomeNamesHowTheChildEnded() {
        var alone = sequence()
        _ = alone.childHasExited(.signaled(.terminate), processesLeft: false, now: t0)
        #expect(alone.outcome(cleanStopStatus: true) == SupervisionOutcome(childStatus: .signaled(.terminate), reason: .exitedOnItsOwn, exitStatus: 143))
        var clean = sequence()
        _ = clean.stopRequested(.terminate, now: t0)
        _ = clean.childHasExited(.signaled(.terminate), processesLeft: false, now: at(1))
        #expect(clean.outcome(cleanStopStatus: false).exitStatus == 143)
        #expect(clean.outcome(cleanStopStatus: true) == SupervisionOutcome(childStatus: .signaled(.terminate), reason: .cleanStop, exitStatus: 0))
        var killed = sequence()
        _ = killed.stopRequested(.terminate, now: t0)
        _ = killed.timePassed(now: at(8), processesLeft: false)
        _ = killed.childHasExited(.signaled(.kill), processesLeft: false, now: at(8.1))
        #expect(killed.outcome(cleanStopStatus: true) == SupervisionOutcome(childStatus: .signaled(.kill), reason: .killedAtDeadline, exitStatus: 137))
    }
}
