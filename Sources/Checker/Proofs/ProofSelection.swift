/// Picks obligations by name for `mmucheck prove --only`.
public enum ProofSelection {
    public struct UnknownName: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "no proof obligation named '\(name)'; valid names: "
                + Obligations.everything.map(\.name).joined(separator: ", ")
        }
    }

    public static func select(only: [String], twins: Bool) throws(UnknownName) -> [ProofObligation] {
        if only.isEmpty { return twins ? Obligations.everything : Obligations.all }
        var out: [ProofObligation] = []
        for name in only {
            guard let o = Obligations.named(name) else { throw UnknownName(name: name) }
            out.append(o)
        }
        return out
    }
}
