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

    /// `set` (one name, no table) and `setting` (many) are one rule: they agree on blocks with repeated names,
    /// entries without `=` and bytes that are not UTF-8.
    @Test func setAgreesWithSetting() {
        var generator = SystemRandomNumberGenerator()
        let names = ["A", "B", "AB", "C", ""]
        for _ in 0..<500 {
            let entries: [[UInt8]] = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                let name = Array(names.randomElement(using: &generator)!.utf8)
                switch Int.random(in: 0...3, using: &generator) {
                case 0: return name
                case 1: return name + [UInt8(ascii: "="), 0xFF]
                default: return name + Array("=v\(Int.random(in: 0...9, using: &generator))".utf8)
                }
            }
            let name = names.randomElement(using: &generator)!
            var one = EnvironmentBlock(entries)
            one.set(name, to: "new")
            #expect(one == EnvironmentBlock(entries).setting([(name, "new")]), "\(entries) \(name)")
        }
    }
}
