import DHAudit
import DHTLS
import Testing

/// The eight leaves of Certificate Transparency's published Merkle test vectors.
private let vectorLeaves: [[UInt8]] = [
    [], [0x00], [0x10], [0x20, 0x21], [0x30, 0x31], [0x40, 0x41, 0x42, 0x43],
    Array(0x50...0x57), Array(0x60...0x6F),
]

/// Roots of the first n vector leaves, n = 1...8.
private let vectorRoots = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

private func digest(_ hex: String) -> SHA256Digest { SHA256Digest(hex: hex)! }

/// MTH exactly as RFC 9162 §2.1.1 defines it, recursing over the leaves themselves.
private func referenceRoot(_ leaves: ArraySlice<SHA256Digest>) -> SHA256Digest {
    if leaves.isEmpty { return MerkleHash.emptyTree }
    if leaves.count == 1 { return leaves[leaves.startIndex] }
    var split = 1
    while split * 2 < leaves.count { split *= 2 }
    let middle = leaves.startIndex + split
    return MerkleHash.node(referenceRoot(leaves[..<middle]), referenceRoot(leaves[middle...]))
}

/// Leaf hashes of `count` distinct entries.
private func leaves(_ count: Int) -> [SHA256Digest] {
    (0..<count).map { MerkleHash.leaf(Array("audit entry \($0)".utf8)) }
}

@Suite("RFC 9162 Merkle tree")
struct MerkleTreeTests {
    @Test("SHA-256 and the empty tree match their known values")
    func emptyTree() throws {
        #expect(MerkleHash.emptyTree.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try MerkleTree().rootHash() == MerkleHash.emptyTree)
        #expect(SHA256Digest(hex: MerkleHash.emptyTree.hex) == MerkleHash.emptyTree)
        #expect(SHA256Digest(hex: "abc") == nil)
        #expect(SHA256Digest(bytes: MerkleHash.emptyTree.bytes) == MerkleHash.emptyTree)
    }

    @Test("roots equal the published test vectors for every prefix")
    func publishedRoots() throws {
        let tree = MerkleTree(leafHashes: vectorLeaves.map { MerkleHash.leaf($0) })
        for (index, expected) in vectorRoots.enumerated() {
            #expect(try tree.rootHash(treeSize: index + 1) == digest(expected), "size \(index + 1)")
        }
    }

    @Test("inclusion and consistency proofs equal the published test vectors")
    func publishedProofs() throws {
        let tree = MerkleTree(leafHashes: vectorLeaves.map { MerkleHash.leaf($0) })
        #expect(
            try tree.inclusionProof(leafIndex: 0, treeSize: 8) == [
                digest("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                digest("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                digest("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ])
        #expect(
            try tree.inclusionProof(leafIndex: 5, treeSize: 8) == [
                digest("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                digest("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                digest("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ])
        #expect(
            try tree.consistencyProof(oldSize: 3, newSize: 7) == [
                digest("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
                digest("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
                digest("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
                digest("837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"),
            ])
        #expect(
            try tree.consistencyProof(oldSize: 4, newSize: 8) == [
                digest("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")
            ])
    }

    @Test("the stored-subtree root equals the RFC recursion for every size up to 130")
    func rootsMatchReference() throws {
        let hashes = leaves(130)
        var tree = MerkleTree()
        for (index, hash) in hashes.enumerated() {
            tree.append(leafHash: hash)
            #expect(try tree.rootHash() == referenceRoot(hashes[0...index]))
        }
        // Earlier sizes stay answerable after the tree has grown.
        for size in [1, 2, 3, 63, 64, 65, 129] {
            #expect(try tree.rootHash(treeSize: size) == referenceRoot(hashes[0..<size]))
        }
    }

    @Test("every inclusion proof verifies, and only against its own leaf, index and root")
    func inclusionProofs() throws {
        let hashes = leaves(70)
        let tree = MerkleTree(leafHashes: hashes)
        for size in 1...70 {
            let root = try tree.rootHash(treeSize: size)
            for index in 0..<size {
                let proof = try tree.inclusionProof(leafIndex: index, treeSize: size)
                #expect(proof.count <= Int.bitWidth - (size - 1).leadingZeroBitCount)
                #expect(
                    MerkleProof.verifyInclusion(
                        leafHash: hashes[index], leafIndex: index, treeSize: size, proof: proof, rootHash: root))
                let other = hashes[(index + 1) % hashes.count]
                #expect(
                    !MerkleProof.verifyInclusion(
                        leafHash: other, leafIndex: index, treeSize: size, proof: proof, rootHash: root))
                if size > 1 {
                    #expect(
                        !MerkleProof.verifyInclusion(
                            leafHash: hashes[index], leafIndex: (index + 1) % size, treeSize: size, proof: proof,
                            rootHash: root))
                    var tampered = proof
                    tampered[tampered.count / 2] = MerkleHash.leaf([0xFF])
                    #expect(
                        !MerkleProof.verifyInclusion(
                            leafHash: hashes[index], leafIndex: index, treeSize: size, proof: tampered,
                            rootHash: root))
                    #expect(
                        !MerkleProof.verifyInclusion(
                            leafHash: hashes[index], leafIndex: index, treeSize: size, proof: proof + [root],
                            rootHash: root))
                }
            }
        }
    }

    @Test("every consistency proof verifies, and fails for a rewritten history")
    func consistencyProofs() throws {
        let hashes = leaves(48)
        let tree = MerkleTree(leafHashes: hashes)
        var rewritten = hashes
        rewritten[0] = MerkleHash.leaf([0xEE])
        let forged = MerkleTree(leafHashes: rewritten)
        for newSize in 1...48 {
            let newRoot = try tree.rootHash(treeSize: newSize)
            for oldSize in 0...newSize {
                let oldRoot = try tree.rootHash(treeSize: oldSize)
                let proof = try tree.consistencyProof(oldSize: oldSize, newSize: newSize)
                #expect(
                    MerkleProof.verifyConsistency(
                        oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof),
                    "\(oldSize) -> \(newSize)")
                guard oldSize > 0, oldSize < newSize else { continue }
                // A log that rewrote leaf 0 after publishing the old head cannot prove consistency.
                let forgedProof = try forged.consistencyProof(oldSize: oldSize, newSize: newSize)
                let forgedRoot = try forged.rootHash(treeSize: newSize)
                #expect(
                    !MerkleProof.verifyConsistency(
                        oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: forgedRoot,
                        proof: forgedProof))
                #expect(
                    !MerkleProof.verifyConsistency(
                        oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: []))
            }
        }
    }

    @Test("bad requests give typed errors")
    func badRequests() {
        let tree = MerkleTree(leafHashes: leaves(5))
        #expect(throws: AuditError.self) { try tree.inclusionProof(leafIndex: 5, treeSize: 5) }
        #expect(throws: AuditError.self) { try tree.inclusionProof(leafIndex: 0, treeSize: 6) }
        #expect(throws: AuditError.self) { try tree.consistencyProof(oldSize: 4, newSize: 3) }
        #expect(throws: AuditError.self) { try tree.rootHash(treeSize: 6) }
        #expect(throws: AuditError.self) { try tree.leafHash(at: -1) }
        do {
            _ = try tree.inclusionProof(leafIndex: 7, treeSize: 5)
        } catch {
            #expect(error.code == .indexOutOfRange)
        }
    }
}
