import MaiSystem
import Testing

@Suite struct ExitStatusTests {
    @Test func shellStatus() {
        #expect(ExitStatus.exited(3).shellStatus == 3)
        #expect(ExitStatus.signaled(.terminate).shellStatus == 143)
        #expect(ExitStatus.signaled(.kill).shellStatus == 137)
    }
}
