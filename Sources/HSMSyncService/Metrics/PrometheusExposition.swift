import Foundation

/// Prometheus text exposition (format 0.0.4) built in a stable order: families sorted by name,
/// series by their labels, so two runs over the same fleet give files that `diff` cleanly and a
/// textfile collector never sees the order change under it.
struct PrometheusExposition {
    /// One metric family: its help text and series.
    private struct Family {
        var help: String
        var type: String
        var series: [String: Double] = [:]
    }

    private var families: [String: Family] = [:]

    /// Sets the series `name{labels}` of a gauge. Labels keep the order given (`fleet` first).
    mutating func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
        let rendered =
            labels.isEmpty
            ? "" : "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        families[name, default: Family(help: help, type: "gauge")].series[rendered] = value
    }

    /// The exposition text.
    var text: String {
        var text = ""
        for name in families.keys.sorted() {
            let family = families[name]!
            text += "# HELP \(name) \(Self.escapeHelp(family.help))\n# TYPE \(name) \(family.type)\n"
            for labels in family.series.keys.sorted() {
                text += "\(name)\(labels) \(Self.format(family.series[labels]!))\n"
            }
        }
        return text
    }

    /// Whole numbers without a fraction (`1`, not `1.0`); others as Swift prints them.
    private static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func escapeLabel(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
