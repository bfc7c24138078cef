public import DHTLS

/// The hashes of RFC 9162 §2.1: domain-separated leaf and node hashes over SHA-256.
public enum MerkleHash {
    /// MTH of the empty tree: SHA-256 of no bytes.
    public static let emptyTree = SHA256.hash([])

    /// `SHA-256(0x00 ‖ entry)`.
    public static func leaf(_ entry: UnsafeRawBufferPointer) -> SHA256Digest {
        SHA256.hash(prefix: 0x00, entry)
    }

    /// `SHA-256(0x00 ‖ entry)`.
    public static func leaf(_ entry: [UInt8]) -> SHA256Digest {
        entry.withUnsafeBytes { leaf($0) }
    }

    /// `SHA-256(0x01 ‖ left ‖ right)`.
    public static func node(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        SHA256.hash(prefix: 0x01, left, right)
    }
}

/// An append-only Merkle tree (RFC 9162 §2.1) over leaf hashes.
///
/// It keeps the hash of every complete, aligned subtree: `levels[l][i]` covers leaves
/// `i·2^l ..< (i+1)·2^l`. Appending costs amortised O(1) hashes, and the root of any
/// earlier size, an inclusion proof or a consistency proof needs O(log n) of them.
/// The same layout is what the log stores, so a proof never reads the whole log.
public struct MerkleTree: Sendable {
    private var levels: [[SHA256Digest]] = [[]]

    public init() {}

    /// Builds a tree from leaf hashes in order.
    public init(leafHashes: some Sequence<SHA256Digest>) {
        for leaf in leafHashes { append(leafHash: leaf) }
    }

    /// The number of leaves.
    public var size: Int { levels[0].count }

    /// Appends a leaf hash and completes every subtree it closes.
    public mutating func append(leafHash: SHA256Digest) {
        levels[0].append(leafHash)
        var level = 0
        var index = levels[0].count - 1
        // A node closes when its index is odd: its left sibling is complete.
        while index & 1 == 1 {
            let parent = MerkleHash.node(levels[level][index - 1], levels[level][index])
            level += 1
            if levels.count == level { levels.append([]) }
            levels[level].append(parent)
            index >>= 1
        }
    }

    /// The leaf hash at `index`.
    public func leafHash(at index: Int) throws(AuditError) -> SHA256Digest {
        guard index >= 0, index < size else {
            throw AuditError(code: .indexOutOfRange, message: "leaf \(index) is not in a tree of \(size)")
        }
        return levels[0][index]
    }

    /// MTH(D[0:treeSize]), the root of the tree as it stood at `treeSize` leaves.
    public func rootHash(treeSize: Int? = nil) throws(AuditError) -> SHA256Digest {
        let treeSize = treeSize ?? size
        try checkSize(treeSize)
        return treeSize == 0 ? MerkleHash.emptyTree : subtreeHash(0, treeSize)
    }

    /// The audit path of RFC 9162 §2.1.3.1: the proof that leaf `leafIndex` is in the tree of `treeSize`.
    public func inclusionProof(leafIndex: Int, treeSize: Int) throws(AuditError) -> [SHA256Digest] {
        try checkSize(treeSize)
        guard leafIndex >= 0, leafIndex < treeSize else {
            throw AuditError(code: .indexOutOfRange, message: "leaf \(leafIndex) is not in a tree of \(treeSize)")
        }
        var proof: [SHA256Digest] = []
        path(leafIndex, 0, treeSize, into: &proof)
        return proof
    }

    /// The consistency proof of RFC 9162 §2.1.4.1: the tree of `newSize` extends the tree of `oldSize`.
    public func consistencyProof(oldSize: Int, newSize: Int) throws(AuditError) -> [SHA256Digest] {
        try checkSize(newSize)
        guard oldSize >= 0, oldSize <= newSize else {
            throw AuditError(code: .invalidTreeSize, message: "old size \(oldSize) must be in 0...\(newSize)")
        }
        var proof: [SHA256Digest] = []
        if oldSize > 0 && oldSize < newSize {
            subproof(oldSize, 0, newSize, complete: true, into: &proof)
        }
        return proof
    }

    // MARK: - RFC 9162 recursions over leaf ranges [start, end)

    private func checkSize(_ treeSize: Int) throws(AuditError) {
        guard treeSize >= 0, treeSize <= size else {
            throw AuditError(code: .invalidTreeSize, message: "tree size \(treeSize) exceeds the log's \(size)")
        }
    }

    /// MTH(D[start:end]) for a non-empty range, from stored complete subtrees.
    private func subtreeHash(_ start: Int, _ end: Int) -> SHA256Digest {
        let count = end - start
        if count & (count - 1) == 0 && start % count == 0 {
            let level = count.trailingZeroBitCount
            return levels[level][start >> level]
        }
        let split = largestPowerOfTwo(below: count)
        return MerkleHash.node(subtreeHash(start, start + split), subtreeHash(start + split, end))
    }

    private func path(_ index: Int, _ start: Int, _ end: Int, into proof: inout [SHA256Digest]) {
        let count = end - start
        guard count > 1 else { return }
        let split = largestPowerOfTwo(below: count)
        if index < split {
            path(index, start, start + split, into: &proof)
            proof.append(subtreeHash(start + split, end))
        } else {
            path(index - split, start + split, end, into: &proof)
            proof.append(subtreeHash(start, start + split))
        }
    }

    private func subproof(
        _ oldSize: Int, _ start: Int, _ end: Int, complete: Bool, into proof: inout [SHA256Digest]
    ) {
        let count = end - start
        if oldSize == count {
            if !complete { proof.append(subtreeHash(start, end)) }
            return
        }
        let split = largestPowerOfTwo(below: count)
        if oldSize <= split {
            subproof(oldSize, start, start + split, complete: complete, into: &proof)
            proof.append(subtreeHash(start + split, end))
        } else {
            subproof(oldSize - split, start + split, end, complete: false, into: &proof)
            proof.append(subtreeHash(start, start + split))
        }
    }
}

/// The largest power of two strictly below `n` (n ≥ 2).
@inline(__always)
func largestPowerOfTwo(below n: Int) -> Int {
    1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
}

/// Offline checks of RFC 9162 proofs: a third party needs only hashes, sizes and the proof.
public enum MerkleProof {
    /// RFC 9162 §2.1.3.2: whether `proof` shows `leafHash` at `leafIndex` in the tree of `treeSize` with `rootHash`.
    public static func verifyInclusion(
        leafHash: SHA256Digest, leafIndex: Int, treeSize: Int, proof: [SHA256Digest], rootHash: SHA256Digest
    ) -> Bool {
        guard leafIndex >= 0, leafIndex < treeSize else { return false }
        var fn = leafIndex
        var sn = treeSize - 1
        var result = leafHash
        for node in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                result = MerkleHash.node(node, result)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                result = MerkleHash.node(result, node)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && result == rootHash
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `newSize` (`newRoot`) extends the one of `oldSize` (`oldRoot`).
    public static func verifyConsistency(
        oldSize: Int, newSize: Int, oldRoot: SHA256Digest, newRoot: SHA256Digest, proof: [SHA256Digest]
    ) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty && oldRoot == MerkleHash.emptyTree }
        guard !proof.isEmpty else { return false }
        var path = proof[...]
        if oldSize & (oldSize - 1) == 0 {
            path = [oldRoot] + proof[...]
        }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var oldResult = path[path.startIndex]
        var newResult = oldResult
        for node in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                oldResult = MerkleHash.node(node, oldResult)
                newResult = MerkleHash.node(node, newResult)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                newResult = MerkleHash.node(newResult, node)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && oldResult == oldRoot && newResult == newRoot
    }
}
