/// Strikes secrets out of text before it is written. Whole occurrences of 8 or more characters go everywhere.
/// Shorter ones (a partial reading such as libpq's `Abc` of `Abc@TAIL`) and pieces go where a
/// driver echoes its input: libpq splits `postgresql://u:Abc@TAIL@host/db` at the first `@` and reports the
/// host name `"TAIL@host"`, so for a password every run of `fragmentLength` or more characters it shares with
/// the text is struck too:
///
/// - in a message (`redact`), inside the quoted part (libpq and PostgreSQL quote every value they echo, from
///   the first `"` to the last) and inside any word that holds `://` or `@` (a URL or a userinfo);
/// - in a value that came from the input as a whole (`redactValue`: a URL shown, an env value), everywhere.
///
/// The fixed words of a message stay readable: a password that contains `word` must not turn "password
/// authentication failed" into "pass*** authentication failed", which would tell the reader part of it.
public struct SecretRedactor: Sendable, Equatable {
    public static let replacement = "***"
    /// The shortest piece struck: shorter ones match ordinary text too often to strike every occurrence.
    public static let fragmentLength = 4
    /// A secret shorter than this is not struck whole: one or two characters would garble every line.
    public static let shortestWhole = 3
    /// A secret this long is struck wherever it occurs: fixed text does not hold it by chance.
    public static let everywhereLength = 8

    /// Longest first, so that a secret containing another is struck whole.
    private let whole: [String]
    /// Secrets shorter than `everywhereLength`, struck where values are echoed.
    private let shortWhole: [[Unicode.Scalar]]
    private let fragments: Set<String>

    /// `whole`: struck where they occur in full (an API key, whose last four characters `status` shows on
    /// purpose). `piecewise`: struck in full and in every piece of `fragmentLength` characters (passwords).
    public init(whole: [String] = [], piecewise: [String] = []) {
        let all = Set((whole + piecewise).filter { $0.unicodeScalars.count >= Self.shortestWhole })
        self.whole = all.filter { $0.unicodeScalars.count >= Self.everywhereLength }
            .sorted { $0.unicodeScalars.count > $1.unicodeScalars.count || ($0.unicodeScalars.count == $1.unicodeScalars.count && $0 < $1) }
        shortWhole = all.filter { $0.unicodeScalars.count < Self.everywhereLength }.sorted().map { Array($0.unicodeScalars) }
        fragments = Set(piecewise.flatMap { pieces(of: $0, length: Self.fragmentLength) })
    }

    public var isEmpty: Bool { whole.isEmpty && shortWhole.isEmpty && fragments.isEmpty }

    /// A message: secrets struck whole everywhere, in pieces where values are echoed.
    public func redact(_ text: String) -> String {
        let result = strikingWhole(text)
        guard !fragments.isEmpty || !shortWhole.isEmpty else { return result }
        let scalars = Array(result.unicodeScalars)
        return strikingFragments(scalars, where: echoedParts(scalars))
    }

    /// A value that came from the input as a whole: secrets struck whole and in pieces everywhere.
    public func redactValue(_ text: String) -> String {
        let result = strikingWhole(text)
        guard !fragments.isEmpty || !shortWhole.isEmpty else { return result }
        let scalars = Array(result.unicodeScalars)
        return strikingFragments(scalars, where: [Bool](repeating: true, count: scalars.count))
    }

    /// By code points: a secret followed by a combining mark is still the secret's text.
    private func strikingWhole(_ text: String) -> String {
        var result = text
        for secret in whole where result.firstScalarRange(of: secret) != nil {
            result = result.replacingEvery(secret, with: Self.replacement)
        }
        return result
    }

    /// Marks every character covered by a piece of a secret, or by a short secret, that lies wholly in an
    /// eligible part, then writes each marked run as one replacement.
    private func strikingFragments(_ scalars: [Unicode.Scalar], where eligible: [Bool]) -> String {
        var struck = [Bool](repeating: false, count: scalars.count)
        func mark(_ range: Range<Int>) {
            guard eligible[range].allSatisfy({ $0 }) else { return }
            for index in range { struck[index] = true }
        }
        for start in scalars.indices {
            let length = Self.fragmentLength
            if start + length <= scalars.count && fragments.contains(string(scalars[start..<(start + length)])) {
                mark(start..<(start + length))
            }
            for secret in shortWhole where scalars[start...].starts(with: secret) {
                mark(start..<(start + secret.count))
            }
        }
        guard struck.contains(true) else { return String(String.UnicodeScalarView(scalars)) }
        var result = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            if struck[index] {
                result.append(contentsOf: Self.replacement.unicodeScalars)
                while index < scalars.count && struck[index] { index += 1 }
            } else {
                result.append(scalars[index])
                index += 1
            }
        }
        return String(result)
    }
}

/// Where a message echoes values: from its first `"` to its last (to its end when there is only one), and
/// every blank-delimited word that holds `://` or `@`.
private func echoedParts(_ scalars: [Unicode.Scalar]) -> [Bool] {
    var eligible = [Bool](repeating: false, count: scalars.count)
    if let first = scalars.firstIndex(of: "\""), let last = scalars.lastIndex(of: "\"") {
        for index in first...(last > first ? last : scalars.count - 1) { eligible[index] = true }
    }
    var start = 0
    while start < scalars.count {
        var end = start
        while end < scalars.count && !scalars[end].properties.isWhitespace { end += 1 }
        let word = scalars[start..<end]
        if word.contains("@") || string(word).contains("://") {
            for index in start..<end { eligible[index] = true }
        }
        start = end + 1
    }
    return eligible
}

/// Every piece of `length` Unicode scalars; a shorter secret has none (it is struck whole only).
func pieces(of secret: String, length: Int) -> [String] {
    let scalars = Array(secret.unicodeScalars)
    guard scalars.count >= length else { return [] }
    return (0...(scalars.count - length)).map { string(scalars[$0..<($0 + length)]) }
}

private func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars)
    return String(view)
}
