@testable import MaiSupervision
import MaiSystem
import Testing

/// The stop sequence driven by hand, with instants of the test's choosing: every transition and deadline.
@Suite struct StopSequenceTests {
    let t0 = MonotonicInstant.now()
    func at(_ seconds: Double) -> MonotonicInstant { t0.advanced(by: .milliseconds(Int64(seconds * 1000))) }
    func sequence(startupGrace: Double = 20, drain: Double = 0) -> StopSequence {
        StopSequence(stopTimeout: .seconds(8), orphanGrace: .seconds(2), startupGrace: .milliseconds(Int64(startupGrace * 1000)),
                     drain: .milliseconds(Int64(drain * 1000)))
    }

    @Test func aStopIsForwardedAndTheDeadlineKillsTheGroup() {
        var stop = sequence()
        #expect(stop.nextDeadline == nil)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
        #expect(stop.nextDeadline == at(8))
        #expect(stop.timePassed(now: at(7.999), processesLeft: false).isEmpty)
        #expect(stop.timePassed(now: at(8), processesLeft: false) == [.killChildGroup])
        #expect(stop.killedAtDeadline)
        #expect(stop.nextDeadline == nil)
        #expect(stop.timePassed(now: at(9), processesLeft: false).isEmpty)
    }

    @Test func aRepeatedStopIsForwardedAndKeepsTheFirstDeadline() {
        var stop = sequence()
        _ = stop.stopRequested(.interrupt, serverStarting: false, now: t0)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(3)) == [.forward(.terminate)])
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(4)) == [.forward(.terminate)])
        #expect(stop.stopSignal == .interrupt)
        #expect(stop.nextDeadline == at(8))
    }

    @Test func aStopWhileTheServerStartsIsHeldUntilReady() {
        var stop = sequence()
        #expect(stop.stopRequested(.terminate, serverStarting: true, now: t0) == [.hold(.terminate, until: at(20))])
        #expect(stop.nextDeadline == at(20))
        #expect(stop.serverSettled(now: at(5)) == [.beginStop(.terminate, .serverSettled, deadline: at(13))])
        #expect(stop.serverSettled(now: at(6)).isEmpty)
        #expect(stop.nextDeadline == at(13))
    }

    @Test func aHeldStopGoesOutWhenTheGraceIsOver() {
        var stop = sequence()
        _ = stop.stopRequested(.terminate, serverStarting: true, now: t0)
        #expect(stop.timePassed(now: at(19.9), processesLeft: false).isEmpty)
        #expect(stop.timePassed(now: at(20), processesLeft: false) == [.beginStop(.terminate, .graceOver, deadline: at(28))])
    }

    @Test func aSecondStopDuringTheHoldIsForwardedAtOnce() {
        var stop = sequence()
        _ = stop.stopRequested(.interrupt, serverStarting: true, now: t0)
        #expect(stop.stopRequested(.terminate, serverStarting: true, now: at(1)) == [.beginStop(.terminate, .insisted, deadline: at(9))])
        #expect(stop.held == nil)
        #expect(stop.stopRequested(.terminate, serverStarting: true, now: at(2)) == [.forward(.terminate)])
    }

    @Test func noHoldWithoutAStartupGrace() {
        var stop = sequence(startupGrace: 0)
        #expect(stop.stopRequested(.terminate, serverStarting: true, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
    }

    @Test func aChildThatExitsAloneEndsTheSequence() {
        var stop = sequence()
        #expect(stop.childHasExited(processesLeft: false, now: t0).isEmpty)
        #expect(stop.finished)
        #expect(stop.stopSignal == nil)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(1)).isEmpty)
    }

    @Test func theChildsExitCancelsAHeldStopAndTheDeadline() {
        var stop = sequence()
        _ = stop.stopRequested(.terminate, serverStarting: true, now: t0)
        _ = stop.childHasExited(processesLeft: false, now: at(1))
        #expect(stop.held == nil)
        #expect(stop.nextDeadline == nil)
        #expect(stop.timePassed(now: at(30), processesLeft: false).isEmpty)
        #expect(stop.finished)
    }

    @Test func orphansGetTermThenKillRepeatedThenAreGivenUpOn() {
        var stop = sequence()
        #expect(stop.childHasExited(processesLeft: true, now: t0) == [.terminateOrphans])
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
        _ = stop.childHasExited(processesLeft: true, now: t0)
        #expect(stop.timePassed(now: at(0.5), processesLeft: false) == [.orphansGone])
        #expect(stop.finished)
    }

    @Test func aStopDuringTheOrphanGraceKillsThemAtOnce() {
        var stop = sequence()
        _ = stop.childHasExited(processesLeft: true, now: t0)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(0.5)) == [.killOrphans])
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(0.6)).isEmpty)
        #expect(stop.timePassed(now: at(0.7), processesLeft: false) == [.orphansGone])
    }

    // MARK: Drain (issue 13, point 3)

    @Test func aTermDrainsFirstThenIsForwardedAndTheDeadlineRunsFromTheForward() {
        var stop = sequence(drain: 5)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: t0) == [.drain(.terminate, until: at(5))])
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
        _ = stop.stopRequested(.terminate, serverStarting: false, now: t0)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(1)) == [.beginStop(.terminate, .drainCutShort, deadline: at(9))])
        #expect(!stop.isDraining)
        #expect(stop.nextDeadline == at(9))
        // The drain's end no longer forwards anything; a third TERM is forwarded as during any stop.
        #expect(stop.timePassed(now: at(5), processesLeft: false).isEmpty)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(6)) == [.forward(.terminate)])
    }

    @Test func anInterruptDuringTheDrainForwardsTheInterruptAtOnce() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, serverStarting: false, now: t0)
        #expect(stop.stopRequested(.interrupt, serverStarting: false, now: at(2)) == [.beginStop(.interrupt, .drainCutShort, deadline: at(10))])
        #expect(stop.stopSignal == .interrupt)
    }

    @Test func aFirstInterruptIsNotDrained() {
        var stop = sequence(drain: 5)
        #expect(stop.stopRequested(.interrupt, serverStarting: false, now: t0) == [.beginStop(.interrupt, .requested, deadline: at(8))])
    }

    @Test func aStopWhileTheServerStartsIsHeldNotDrained() {
        var stop = sequence(drain: 5)
        #expect(stop.stopRequested(.terminate, serverStarting: true, now: t0) == [.hold(.terminate, until: at(20))])
        #expect(!stop.isDraining)
        // Never ready, so never in a load balancer: once settled the stop goes out at once, without a drain.
        #expect(stop.serverSettled(now: at(3)) == [.beginStop(.terminate, .serverSettled, deadline: at(11))])
    }

    @Test func withoutAStartupGraceAStopWhileStartingIsForwardedAtOnceNotDrained() {
        var stop = sequence(startupGrace: 0, drain: 5)
        #expect(stop.stopRequested(.terminate, serverStarting: true, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
    }

    @Test func theChildExitingDuringTheDrainEndsItWithNothingForwarded() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, serverStarting: false, now: t0)
        #expect(stop.childHasExited(processesLeft: false, now: at(1)).isEmpty)
        #expect(!stop.isDraining)
        #expect(stop.nextDeadline == nil)
        #expect(stop.timePassed(now: at(6), processesLeft: false).isEmpty)
        #expect(stop.stopSignal == nil)
        #expect(stop.finished)
    }

    @Test func theChildExitingDuringTheDrainStillCleansUpOrphans() {
        var stop = sequence(drain: 5)
        _ = stop.stopRequested(.terminate, serverStarting: false, now: t0)
        #expect(stop.childHasExited(processesLeft: true, now: at(1)) == [.terminateOrphans])
        #expect(stop.nextDeadline == at(3))
        #expect(stop.timePassed(now: at(3), processesLeft: true) == [.killOrphans])
    }

    @Test func drainZeroIsTodaysSequence() {
        var stop = sequence(drain: 0)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: t0) == [.beginStop(.terminate, .requested, deadline: at(8))])
        #expect(!stop.isDraining)
        #expect(stop.stopRequested(.terminate, serverStarting: false, now: at(1)) == [.forward(.terminate)])
    }
}
