/// Every permutation of `0..<n`, in lexicographic order: the renamings symmetry tries
/// (shared by both engines' canonical forms).
public enum Permutations {
    public static func all(of n: Int) -> [[Int]] {
        var out: [[Int]] = []
        var perm = Array(repeating: -1, count: max(0, n))
        var used = Array(repeating: false, count: max(0, n))
        func place(_ i: Int) {
            if i == n { out.append(perm); return }
            for j in 0..<n where !used[j] {
                used[j] = true; perm[i] = j
                place(i + 1)
                used[j] = false
            }
        }
        place(0)
        return out
    }
}
