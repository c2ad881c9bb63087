/// Search and replace by Unicode scalars (code points), as Python's `str.find` and `str.replace` do. Swift's own
/// `firstRange(of:)` and `replacing(_:with:)` compare whole characters, so they miss text next to a combining
/// mark (a secret followed by U+0301 went unstruck), and their generic machinery cost the start-up 0.1 ms at its
/// first use (`scripts/bench`). Here, in the leaf module, so that redaction and the SQL and Open WebUI layers share it.
extension String {
    /// The first occurrence of `target` at or after `start`; nil for an empty `target`.
    public func firstScalarRange(of target: String, from start: Index? = nil) -> Range<Index>? {
        let scalars = unicodeScalars, pattern = Array(target.unicodeScalars)
        guard let first = pattern.first else { return nil }
        var index = start ?? scalars.startIndex
        while index < scalars.endIndex {
            if scalars[index] == first {
                var cursor = scalars.index(after: index)
                var matched = 1
                while matched < pattern.count, cursor < scalars.endIndex, scalars[cursor] == pattern[matched] {
                    cursor = scalars.index(after: cursor)
                    matched += 1
                }
                if matched == pattern.count { return index..<cursor }
            }
            index = scalars.index(after: index)
        }
        return nil
    }

    /// Every occurrence of `target`, left to right and without overlap, replaced; the text as it is for an empty
    /// `target`.
    public func replacingEvery(_ target: String, with replacement: String) -> String {
        var result = String.UnicodeScalarView()
        var rest = unicodeScalars.startIndex
        while let found = firstScalarRange(of: target, from: rest) {
            result.append(contentsOf: unicodeScalars[rest..<found.lowerBound])
            result.append(contentsOf: replacement.unicodeScalars)
            rest = found.upperBound
        }
        result.append(contentsOf: unicodeScalars[rest...])
        return String(result)
    }
}
