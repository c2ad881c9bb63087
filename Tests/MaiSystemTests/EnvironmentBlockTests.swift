import MaiSystem
import Testing

@Suite struct EnvironmentBlockTests {
    @Test func lookupFindsTheFirstEntryAsGetenv() {
        let block = EnvironmentBlock(strings: ["A=1", "A=2", "B=", "C"])
        #expect(block["A"] == "1")
        #expect(block["B"] == "")
        #expect(block["C"] == nil)
        #expect(block["D"] == nil)
        #expect(block.values == ["A": "1", "B": ""])
    }

    @Test func setReplacesTheFirstEntryInPlaceAndDropsLaterOnes() {
        var block = EnvironmentBlock(strings: ["A=1", "B=2", "A=3"])
        block.set("A", to: "new")
        block.set("Z", to: "z")
        #expect(block == EnvironmentBlock(strings: ["A=new", "B=2", "Z=z"]))
    }

    @Test func bytesThatAreNotUTF8AreKept() {
        var block = EnvironmentBlock([Array("X=a".utf8) + [0xFF] + Array("b".utf8), Array("Y=1".utf8)])
        block.set("Y", to: "2")
        #expect(block.entries[0] == [0x58, 0x3D, 0x61, 0xFF, 0x62])
        #expect(block.bytes("X") == [0x61, 0xFF, 0x62][...])
    }
}
